import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog

extension WorkspaceVerifier {
    /// Step 2, for a measurement stage: the site-signed submissions it names. Each must be in the
    /// object store with its digest, for this trial, and signed by a key the trust policy in force
    /// at the entry allows to submit for its site; every record of the run must come from a file a
    /// submission covers and be of that submission's site. When the policy in force requires
    /// submissions, a measurement stage without one fails.
    func checkSubmissions(index: UInt64, statement: InTotoStatement, policy: TrustPolicy) throws {
        guard statement.predicateType == Workspace.stagePredicateType, statement.predicate["kind"]?.stringValue == "ingest/measurements" else { return }
        let statement = try StageManifest.expand(statement, index: index, objects: objects)
        func fail(_ reason: String) -> IntegrityFailure { .attestationInvalid(index: index, reason: reason) }
        var inputs: [String: String] = [:]
        var siteOfFile: [String: String] = [:]      // file digest → the site a submission signed it for
        var submissions = 0
        for material in statement.predicate["materials"]?.arrayValue ?? [] {
            guard let name = material["name"]?.stringValue, let digest = material["digest"]?["sha256"]?.stringValue else { continue }
            inputs[name] = digest
            guard name.hasPrefix("submission site ") else { continue }
            submissions += 1
            let path = objects.path(for: digest)
            guard let data = FileManager.default.contents(atPath: path) else { throw IntegrityFailure.objectMissing(name: name, sha256: digest) }
            guard Hex.encode(SHA256.hash(data: data)) == digest else { throw IntegrityFailure.objectAltered(name: name, sha256: digest) }
            do {
                let submission = try Submission(bytes: Array(data), file: name)
                try submission.check(trial: trialID, stageKind: "ingest/measurements", policy: policy, file: name)
                for file in submission.files {
                    if let other = siteOfFile[file.sha256], other != submission.site {
                        throw fail("\(name) submits \(file.name) for site \(submission.site), another submission for site \(other)")
                    }
                    siteOfFile[file.sha256] = submission.site
                }
            } catch let error as SubmissionError {
                throw fail("\(error)")
            }
        }
        if submissions == 0 {
            if policy.requireSubmissions {
                throw fail("the trust policy in force requires site-signed submissions, and this measurement stage names none: its records were not submitted by a site")
            }
            return
        }
        guard let run = try Int64.fetchOne(db, sql: "SELECT id FROM stage_runs WHERE entry_idx = ?", arguments: [Int64(index)]) else { return }
        for source in try Row.fetchAll(db, sql: "SELECT id, source_file FROM record_sources WHERE run_id = ?", arguments: [run]) {
            let file: String = source["source_file"], id: Int64 = source["id"]
            guard let digest = inputs[file], let site = siteOfFile[digest] else {
                throw IntegrityFailure.stageMismatch(run: run, stage: "measurements", reason: "its records of \(file) come from a file no site-signed submission of the stage covers")
            }
            let others = try Int.fetchOne(db, sql: "SELECT count(*) FROM record_rows WHERE source_id = ? AND site IS NOT ?", arguments: [id, site]) ?? 0
            guard others == 0 else {
                throw IntegrityFailure.stageMismatch(run: run, stage: "measurements", reason: "\(others) of its records of \(file) are not of site \(site), the site whose key signed the file")
            }
        }
    }
}
