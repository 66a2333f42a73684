import Crypto
import Foundation
import MerkleLog
import Testing
@testable import Ingest
@testable import Workspace

/// Issue 17: consents straight from an EDC's consent register (CSV), checked like FHIR consents.
@Suite("Consent registers (CSV)", .serialized)
struct ConsentRegisterTests {
    func register(_ box: IngestSandbox, _ rows: [String], header: String = "participant,form_version,signed_at,withdrawn_at,document,document_sha256") throws -> InputFile {
        let folder = box.root.appendingPathComponent("edc")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("documents"), withIntermediateDirectories: true)
        try Data("%PDF-1.4 signed consent\n".utf8).write(to: folder.appendingPathComponent("documents/a.pdf"))
        let url = folder.appendingPathComponent("consent-register.csv")
        try Data(([header] + rows).joined(separator: "\n").appending("\n").utf8).write(to: url)
        return try InputFile(url: url, name: "edc/consent-register.csv")
    }

    @Test func aRegisterGivesTheSameConsentsAndRejectsBadRowsWithTheirLines() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        let digest = Hex.encode(SHA256.hash(data: Data("%PDF-1.4 signed consent\n".utf8)))
        let file = try register(box, [
            "P-0001,2.0,2026-01-20T09:30:00Z,,documents/a.pdf,\(digest)",          // line 2: accepted
            "P-0002,1.0,2026-01-20T09:30:00Z,,documents/a.pdf,",                    // 3: form 1.0 not approved
            "P-0003,2.0,20 January 2026,,documents/a.pdf,",                         // 4: not a date-time
            "P-0004,2.0,2026-01-20T09:30:00Z,2026-02-01T00:00:00Z,documents/a.pdf,", // 5: accepted, withdrew
            "P-0005,2.0,2026-01-20T09:30:00Z,,documents/missing.pdf,",              // 6: no document
            "P-0006,2.0,2026-01-20T09:30:00Z,,documents/a.pdf,\(String(repeating: "0", count: 64))", // 7: wrong digest
            "P-0007,2.0,2026-01-20T09:30:00Z,,../../etc/passwd,",                   // 8: outside the folder
        ])
        let receipt = try box.receipt(try box.ingestor.ingestConsents([file]))
        #expect(receipt.recordCount == 2 && receipt.rejectCount == 5)
        let rejects = try box.workspace.rejects(runID: receipt.runID).map(\.reject)
        #expect(rejects.map(\.line) == [4, 8, 3, 6, 7], "\(rejects)")
        #expect(rejects.map(\.field) == ["signed_at", "document", "form_version", "document", "document_sha256"], "\(rejects.map(\.field))")
        #expect(rejects.first { $0.line == 3 }?.reason.contains("not approved by the protocol") == true)
        // The withdrawal ends P-0004's consent: a measurement after it is rejected, P-0001's accepted.
        let csv = try box.write("m.csv", """
            participant,site,visit,item,value,unit,collected_at
            P-0001,101,SE.SCREENING,IT.SYSBP,120,mmHg,2026-01-21T10:00:00Z
            P-0004,101,SE.SCREENING,IT.SYSBP,120,mmHg,2026-02-02T10:00:00Z

            """)
        let measured = try box.receipt(try box.ingestor.ingestMeasurements([csv]))
        #expect(measured.recordCount == 1 && measured.rejectCount == 1)
        #expect(try box.workspace.rejects(runID: measured.runID).first?.reject.reason.contains("withdrew") == true)
        _ = try box.workspace.verifyLedger()
    }

    @Test func aFileThatIsNotARegisterFailsWholeAndStoresNothing() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        let before = try box.snapshot()
        for header in ["participant,form_version,signed_at,document,consented_by", "participant,form_version,document", ""] {
            let file = try register(box, ["P-0001,2.0,2026-01-20T09:30:00Z,documents/a.pdf"], header: header)
            #expect(throws: ConsentError.self, "\(header)") { try box.ingestor.ingestConsents([file]) }
            #expect(try box.snapshot() == before)
        }
    }
}
