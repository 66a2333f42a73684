import Attestation
import Crypto
import Foundation
import MerkleLog
import SignedNote

/// Why a site's submission cannot be used.
public enum SubmissionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not a submission envelope (DSSE with an in-toto statement of the submission type).
    case malformed(file: String, reason: String)
    /// The submission is for another trial or stage kind.
    case mismatch(file: String, reason: String)
    /// No signature by a key the trust policy allows to submit for the site.
    case notAllowed(file: String, reason: String)
    /// A file the submission names is missing, or its bytes are not the ones signed.
    case fileMismatch(file: String, name: String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(file, reason): return "\(file): not a site submission: \(reason)"
        case let .mismatch(file, reason): return "\(file): \(reason)"
        case let .notAllowed(file, reason): return "\(file): \(reason)"
        case let .fileMismatch(file, name, reason): return "\(file): \(name): \(reason)"
        }
    }
}

/// A site's signed submission of measurement files: a DSSE envelope around an in-toto Statement
/// with one subject per file (its name and SHA-256) and a predicate naming the trial, the site,
/// the stage kind, the time, and the 21 CFR Part 11 signature block of the site's signer.
///
/// The site coordinator signs it with their own key (`trialchain submit`), which the trust policy
/// names and scopes to their site(s); the operator cannot make or change one without that key.
public struct Submission: Equatable, Sendable {
    /// The statement's predicate type.
    public static let predicateType = "https://trialchain.dev/submission/v1"
    /// The kind a trust policy names to let a key submit (with `sites`).
    public static let kind = "submission"

    /// The envelope's exact bytes (canonical JSON), as stored and named among a stage's materials.
    public let bytes: [UInt8]
    public let envelope: DSSEEnvelope
    public let trial: String
    public let site: String
    public let stageKind: String
    public let submittedAt: String
    /// The files, by name (a plain file name) and SHA-256.
    public let files: [(name: String, sha256: String)]
    /// The signer named in the signature block: key handle and printed name.
    public let keyID: String
    public let signerName: String

    public static func == (lhs: Submission, rhs: Submission) -> Bool { lhs.bytes == rhs.bytes }

    /// The SHA-256 of the envelope's bytes.
    public var sha256: String { Hex.encode(SHA256.hash(data: Data(bytes))) }

    /// Signs a submission of `files` for `site`.
    /// - parameters:
    ///   - files: each file's name (a plain file name, without folders) and bytes' SHA-256.
    ///   - signerName: the printed name the trust policy gives the key.
    /// - returns: the envelope's canonical bytes.
    public static func sign(files: [(name: String, sha256: String)], trial: String, site: String, stageKind: String = "ingest/measurements",
                            signer: NoteSigner, signerName: String, at time: String) throws -> [UInt8] {
        let statement = InTotoStatement(
            subjects: files.map { .init(name: $0.name, sha256: $0.sha256) },
            predicateType: predicateType,
            predicate: ["trial": .string(trial), "site": .string(site), "stageKind": .string(stageKind), "submittedAt": .string(time),
                        "signature": ["name": .string(signerName), "meaning": .string(SignatureMeaning.performed.rawValue),
                                      "signedAt": .string(time), "keyid": .string(signer.verifierKey.handle)]])
        return try DSSEEnvelope(signing: statement.canonicalBytes, with: signer).canonicalBytes
    }

    /// Reads a submission (its structure only; `check` decides whether it may be used).
    /// - parameter file: the name to use in messages.
    /// - throws: `SubmissionError.malformed`.
    public init(bytes: [UInt8], file: String) throws {
        func fail(_ reason: String) -> SubmissionError { .malformed(file: file, reason: reason) }
        let envelope: DSSEEnvelope, statement: InTotoStatement
        do {
            envelope = try DSSEEnvelope(parsing: bytes)
            statement = try envelope.statement()
        } catch {
            throw fail("\(error)")
        }
        guard envelope.canonicalBytes == bytes else { throw fail("the envelope is not in RFC 8785 canonical form") }
        guard statement.predicateType == Submission.predicateType else { throw fail("predicate type \(statement.predicateType), expected \(Submission.predicateType)") }
        let predicate = statement.predicate
        guard let trial = predicate["trial"]?.stringValue, let site = predicate["site"]?.stringValue, !site.isEmpty,
              let stageKind = predicate["stageKind"]?.stringValue, let submittedAt = predicate["submittedAt"]?.stringValue,
              let keyID = predicate["signature"]?["keyid"]?.stringValue, let name = predicate["signature"]?["name"]?.stringValue,
              predicate["signature"]?["meaning"]?.stringValue == SignatureMeaning.performed.rawValue,
              predicate["signature"]?["signedAt"]?.stringValue == submittedAt else {
            throw fail("the predicate needs trial, site, stageKind, submittedAt and a signature block (keyid, name, meaning performed, signedAt)")
        }
        guard !statement.subjects.isEmpty else { throw fail("it names no file") }
        for subject in statement.subjects {
            let name = subject.name
            guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != "..", name != ".",
                  !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw fail("subject \(name.debugDescription) is not a plain file name")
            }
        }
        guard Set(statement.subjects.map(\.name)).count == statement.subjects.count else { throw fail("it names a file twice") }
        self.bytes = bytes
        self.envelope = envelope
        self.trial = trial
        self.site = site
        self.stageKind = stageKind
        self.submittedAt = submittedAt
        self.files = statement.subjects.map { ($0.name, $0.sha256) }
        self.keyID = keyID
        self.signerName = name
    }

    /// Checks that the submission is for this trial and stage kind and is signed by a key the
    /// policy allows to submit for its site, under the name the policy gives that key.
    /// - returns: the signer.
    /// - throws: `SubmissionError.mismatch` or `.notAllowed`, saying what to fix.
    @discardableResult
    public func check(trial expectedTrial: String, stageKind expectedKind: String, policy: TrustPolicy, file: String) throws -> TrustPolicy.Signer {
        guard trial == expectedTrial else { throw SubmissionError.mismatch(file: file, reason: "it is for trial \(trial), this workspace holds \(expectedTrial)") }
        guard stageKind == expectedKind else { throw SubmissionError.mismatch(file: file, reason: "it submits for \(stageKind), not \(expectedKind)") }
        let verified = envelope.verifiedSigners(among: policy.signers.map(\.key))
        guard let key = verified.first(where: { $0.handle == keyID }), let signer = policy.signer(handle: key.handle) else {
            throw SubmissionError.notAllowed(file: file, reason: "no valid signature by \(keyID), or the trust policy does not name that key: a site's key must be added with `trialchain trust add VKEY --name NAME --may-sign submission --sites \(site)`")
        }
        guard signer.maySubmit(for: site) else {
            throw SubmissionError.notAllowed(file: file, reason: "\(signer.name) (\(keyID)) may not submit for site \(site) (sites: \(signer.sites.isEmpty ? "none" : signer.sites.joined(separator: ", ")); may sign: \(signer.maySign.joined(separator: ", ")))")
        }
        guard signer.name == signerName else {
            throw SubmissionError.notAllowed(file: file, reason: "its signature block names \(signerName), but the trust policy gives \(keyID) to \(signer.name)")
        }
        return signer
    }

    /// The material name under which a stage names the submission it ingested.
    public var materialName: String { "submission site \(site) \(sha256.prefix(12))" }
}

extension Workspace {
    /// The sites whose signed submissions a measurement stage run ingested (from the materials
    /// its attestation names; empty for a run of plain files).
    public func submissionSites(runID: Int64) throws -> [String] {
        guard let run = try stageRun(id: runID), run.kind == "ingest/measurements" else { return [] }
        let entry = try read { try $0.entry(run.entryIndex) }
        let statement = try expanded(DSSEEnvelope(parsing: entry.entry).statement(), index: run.entryIndex)
        return (statement.predicate["materials"]?.arrayValue ?? []).compactMap { material in
            guard let name = material["name"]?.stringValue, name.hasPrefix("submission site ") else { return nil }
            return name.dropFirst("submission site ".count).split(separator: " ").first.map(String.init)
        }
    }
}
