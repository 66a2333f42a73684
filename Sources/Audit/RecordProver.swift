import Attestation
import MerkleLog
import Workspace

/// Builds record proofs from a workspace.
public struct RecordProver {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// The one record a selection names: by id, or by participant (and visit and item). Among
    /// re-ingested copies of the same record, the latest run's is taken.
    /// - throws: `AuditError.selection` when none or several match (listing them).
    public func select(id: Int64? = nil, participant: String? = nil, visit: String? = nil, item: String? = nil) throws -> StoredRecord {
        if let id {
            guard let record = try workspace.record(id: id) else { throw AuditError.selection("there is no record \(id)") }
            return record
        }
        guard let participant else { throw AuditError.selection("select a record with --id, or --participant (with --visit and --item)") }
        let all = try workspace.records(participant: participant, visit: visit, item: item)
        guard let latestRun = all.map(\.runID).max() else {
            throw AuditError.selection("no record of participant \(participant)\(visit.map { " at \($0)" } ?? "")\(item.map { " for \($0)" } ?? "")")
        }
        let latest = all.filter { $0.runID == latestRun }
        guard latest.count == 1 else {
            let listed = latest.prefix(10).map { "\($0.id) (\($0.visit ?? "-") \($0.item ?? "-") \($0.observedAt ?? ""))" }.joined(separator: ", ")
            throw AuditError.selection("\(latest.count) records match; choose one with --id: \(listed)\(latest.count > 10 ? ", …" : "")")
        }
        return latest[0]
    }

    /// A proof for a record against the checkpoint of `size` (default: the latest).
    public func prove(_ record: StoredRecord, size: UInt64? = nil) throws -> RecordProof {
        guard let canonical = record.canonical else {
            throw AuditError.selection("record \(record.id)'s content was erased: its leaf hash is still proven by `verify`, but there is nothing to show")
        }
        guard let run = try workspace.stageRun(id: record.runID) else { throw AuditError.selection("record \(record.id) has no stage run") }
        // The proof is read from the run's stored record tiles (O(log n) rows), and its root is
        // the run's attested record root (which `verify` checks against the leaves).
        let index = UInt64(record.id - run.firstRecord)
        let recordProof = try workspace.recordInclusionProof(run: run, index: index)
        let checkpoint = try workspace.read { try $0.checkpoint(size: size) }
        guard checkpoint.size > run.entryIndex else {
            throw AuditError.selection("the checkpoint of size \(checkpoint.size) predates entry \(run.entryIndex), which attests record \(record.id)")
        }
        let ledger = try workspace.read { try $0.inclusionProof(index: run.entryIndex, size: checkpoint.size) }
        let entry = try workspace.read { try $0.entry(run.entryIndex) }
        // The id goes into the proof only when the attestation binds it (runs made since
        // `firstRecord` was attested); otherwise it could be changed without anyone noticing.
        let binds = (try? DSSEEnvelope(parsing: entry.entry).statement())?.predicate["firstRecord"]?.integerValue == run.firstRecord
        return RecordProof(trial: workspace.trialID, origin: workspace.origin, recordID: binds ? record.id : nil, canonical: canonical, recordIndex: index,
                           recordTreeSize: UInt64(run.recordCount), recordTreeRoot: run.recordRoot, recordProof: recordProof, entryIndex: run.entryIndex,
                           entry: entry.entry, ledgerSize: checkpoint.size, ledgerProof: ledger.proof, checkpoint: checkpoint.note,
                           ledgerKey: workspace.ledgerKey.description, operatorKey: workspace.operatorKey.description)
    }
}
