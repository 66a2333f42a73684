import Attestation
import Foundation
import Testing
@testable import Ingest
@testable import Workspace

/// Issue 17: a protocol's soft range checks (REDCap's min/max) accept a value and flag it; hard
/// ones (REDCap's with @FORCE-MINMAX) reject it.
@Suite("Soft and hard range checks", .serialized)
struct SoftRangeTests {
    @Test func aREDCapMinMaxIsSoftUnlessTheFieldForcesIt() throws {
        let original = try String(contentsOf: Corpus.url("odm/redcapr_longitudinal_project.xml"), encoding: .utf8)
        let forced = original.replacingOccurrences(
            of: #"<ItemDef OID="height" Name="height" DataType="float" Length="999" SignificantDigits="1" redcap:Variable="height""#,
            with: #"<ItemDef OID="height" Name="height" DataType="float" Length="999" SignificantDigits="1" redcap:Variable="height" redcap:FieldAnnotation="@HIDDEN-SURVEY @FORCE-MINMAX""#)
        #expect(forced != original)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("redcap-forced-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(forced.utf8).write(to: url)
        let reader = try ODMProtocolReader()
        #expect(try reader.read(url: Corpus.url("odm/redcapr_longitudinal_project.xml")).item("height")?.rangeChecks.map(\.hard) == [false, false])
        #expect(try reader.read(url: url).item("height")?.rangeChecks.map(\.hard) == [true, true])
    }

    @Test func aValueOutsideASoftRangeIsAcceptedAndFlaggedInItsFilesArtifact() throws {
        let box = try IngestSandbox()
        let text = try String(contentsOf: sampleData.appendingPathComponent("protocol.xml"), encoding: .utf8)
        let soft = text.replacingOccurrences(of: #"<RangeCheck Comparator="LE" SoftHard="Hard"><CheckValue>250</CheckValue></RangeCheck></ItemDef>"#,
                                             with: #"<RangeCheck Comparator="LE" SoftHard="Soft"><CheckValue>250</CheckValue></RangeCheck></ItemDef>"#, options: [], range: nil)
        _ = try box.ingestor.ingestProtocol(try box.write("protocol.xml", soft))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let csv = try box.write("m.csv", """
            participant,site,visit,item,value,unit,collected_at
            P-0001,101,SE.SCREENING,IT.SYSBP,400,mmHg,2026-01-21T10:00:00Z
            P-0001,101,SE.SCREENING,IT.SYSBP,40,mmHg,2026-01-21T10:01:00Z
            P-0001,101,SE.SCREENING,IT.SYSBP,120,mmHg,2026-01-21T10:02:00Z

            """)
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([csv]))
        #expect(receipt.recordCount == 2 && receipt.rejectCount == 1, "400 soft-flagged and kept; 40 below the hard minimum 60")
        let artifact = try JSONValue.parse(try box.workspace.artifactBytes(try #require(try box.workspace.latestArtifact("measurements/m.csv"))))
        let flagged = try #require(artifact["flagged"]?.arrayValue)
        #expect(flagged.count == 1 && flagged[0]["line"]?.integerValue == 2 && flagged[0]["field"]?.stringValue == "value")
        #expect(flagged[0]["reason"]?.stringValue?.contains("400 is above the maximum 250 (a soft range check") == true)
        #expect(try box.workspace.rejects(runID: receipt.runID).first?.reject.reason.contains("below the minimum 60") == true)
        _ = try box.workspace.verifyLedger()
    }
}
