import Crypto
import Foundation
import Testing
@testable import Ingest

final class ConsentFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("consents-\(UUID().uuidString)")
    init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) -> URL {
        let file = url.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: file)
        return file
    }
}

func consentJSON(participant: String = "P-001", version: String = "2.0", status: String = "active",
                 dateTime: String = "2026-02-01T10:00:00Z", end: String? = nil, document: String = "P-001.pdf", hash: String? = nil) -> String {
    let endField = end.map { #", "end": "\#($0)""# } ?? ""
    let hashField = hash.map { #", "hash": "\#($0)""# } ?? ""
    return """
    {"resourceType": "Consent", "id": "c-\(participant)", "status": "\(status)",
     "extension": [{"url": "https://trialchain.dev/fhir/StructureDefinition/consent-form-version", "valueString": "\(version)"}],
     "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}]},
     "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
     "patient": {"reference": "Patient/\(participant)"}, "dateTime": "\(dateTime)",
     "sourceAttachment": {"contentType": "application/pdf", "url": "\(document)"\(hashField)},
     "provision": {"type": "permit", "period": {"start": "\(dateTime)"\(endField)}}}
    """
}

@Suite("FHIR Consent resources")
struct ConsentReaderTests {
    @Test func readsASingleConsent() throws {
        let folder = ConsentFolder()
        let document = Data("%PDF-1.4 signed".utf8)
        let sha1 = Data(Insecure.SHA1.hash(data: document)).base64EncodedString()
        let file = folder.write("P-001.json", consentJSON(hash: sha1))
        let (consents, rejects) = try ConsentReader().read(url: file, displayName: "P-001.json")
        #expect(rejects.isEmpty)
        let consent = try #require(consents.first)
        #expect(consent.participant == "P-001" && consent.formVersion == "2.0" && consent.status == "active")
        #expect(consent.signedAt.description == "2026-02-01T10:00:00Z" && consent.periodEnd == nil)
        #expect(consent.documentSHA1 == Array(Insecure.SHA1.hash(data: document)))
        #expect(consent.documentPath.hasSuffix("/P-001.pdf"))
    }

    @Test func aBundleKeepsGoodEntriesAndRejectsBadOnesWithTheField() throws {
        let folder = ConsentFolder()
        let entries = [
            consentJSON(participant: "P-1"),
            consentJSON(participant: "P-2", dateTime: "2026-02-30T10:00:00Z"),
            #"{"resourceType": "Patient", "id": "x"}"#,
            consentJSON(participant: "P-3", status: "signed"),
            consentJSON(participant: "P-4", end: "2026-01-01T00:00:00Z"),
            consentJSON(participant: "P-5", document: "../../etc/passwd"),
            consentJSON(participant: "P-6", hash: "AAAA"),
        ]
        let bundle = #"{"resourceType": "Bundle", "type": "collection", "entry": ["# + entries.map { #"{"resource": \#($0)}"# }.joined(separator: ",") + "]}"
        let (consents, rejects) = try ConsentReader().read(url: folder.write("bundle.json", bundle), displayName: "bundle.json")
        #expect(consents.map(\.participant) == ["P-1"])
        #expect(rejects.map(\.field) == ["dateTime", "entry[2].resource.resourceType", "status", "provision.period.end", "sourceAttachment.url", "sourceAttachment.hash"])
        #expect(rejects.map(\.entry) == [1, 2, 3, 4, 5, 6])
    }

    @Test func aWithdrawalIsAConsentWithAnEnd() throws {
        let folder = ConsentFolder()
        let file = folder.write("w.json", consentJSON(status: "inactive", end: "2026-05-01T00:00:00Z"))
        let consent = try #require(try ConsentReader().read(url: file, displayName: "w.json").consents.first)
        #expect(consent.periodEnd?.description == "2026-05-01T00:00:00Z")
    }

    @Test func wrongTypesAndBrokenJSONAreFileErrors() throws {
        let folder = ConsentFolder()
        #expect(throws: ConsentError.wrongResourceType(file: "p.json", found: "Patient")) {
            try ConsentReader().read(url: folder.write("p.json", #"{"resourceType": "Patient"}"#), displayName: "p.json")
        }
        #expect(throws: ConsentError.malformedJSON(file: "b.json", line: 3, reason: "Invalid value around character 41.")) {
            try ConsentReader().read(url: folder.write("b.json", "{\n \"resourceType\": \"Consent\",\n \"status\": ,\n}"), displayName: "b.json")
        }
        #expect(throws: ConsentError.self) { try ConsentReader().read(url: folder.write("a.json", "[1,2]"), displayName: "a.json") }
        #expect(throws: ConsentError.self) { try ConsentReader().read(url: folder.url.appendingPathComponent("none.json"), displayName: "none.json") }
    }
}

@Suite("Trial times")
struct TrialTimeTests {
    @Test func parsesAndNormalisesToUTC() {
        #expect(TrialTime("2026-02-01")?.description == "2026-02-01T00:00:00Z")
        #expect(TrialTime("2026-02-01T10:30:00+02:00")?.description == "2026-02-01T08:30:00Z")
        #expect(TrialTime("2026-02-01T23:30-05:00")?.description == "2026-02-02T04:30:00Z")
        #expect(TrialTime("2024-02-29T12:00:00.123Z")?.description == "2024-02-29T12:00:00Z")
        #expect(TrialTime("1969-12-31T23:59:59Z")?.description == "1969-12-31T23:59:59Z")
    }

    @Test(arguments: ["", "2026-13-01", "2025-02-29", "2026-02-01T10:00:00", "2026-02-01 10:00:00Z", "2026-02-01T25:00:00Z", "yesterday", "2026-02-01T10:00:00+2"])
    func refusesWhatCannotBePlaced(text: String) {
        #expect(TrialTime(text) == nil)
    }
}
