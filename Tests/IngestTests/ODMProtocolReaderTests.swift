import Foundation
import Testing
@testable import Ingest

let protocolReader = try! ODMProtocolReader()

func readProtocol(_ xml: String) throws -> TrialProtocol {
    try protocolReader.read(bytes: Array(xml.utf8), displayName: "p.xml")
}

/// A small valid protocol with TrialChain's extension; `visitAttributes` and `extra` vary it.
func protocolXML(visitAttributes: String = #"tc:PlannedStudyDay="15" tc:WindowBefore="3" tc:WindowAfter="3""#,
                 formRef: String = "F.VITALS", doctype: String = "", extraItem: String = "") -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>\(doctype)
    <ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:tc="https://trialchain.dev/ns/odm/v1"
         FileOID="F1" FileType="Snapshot" CreationDateTime="2026-01-01T00:00:00Z" ODMVersion="1.3.2">
      <Study OID="S1">
        <GlobalVariables><StudyName>Study one</StudyName><StudyDescription>d</StudyDescription><ProtocolName>p</ProtocolName></GlobalVariables>
        <MetaDataVersion OID="MDV.1" Name="v1">
          <Protocol><StudyEventRef StudyEventOID="SE.BASE" OrderNumber="1" Mandatory="Yes"/><StudyEventRef StudyEventOID="SE.W2" OrderNumber="2" Mandatory="Yes"/></Protocol>
          <StudyEventDef OID="SE.BASE" Name="Baseline" Repeating="No" Type="Scheduled" tc:PlannedStudyDay="1" tc:WindowBefore="0" tc:WindowAfter="0">
            <FormRef FormOID="F.VITALS" Mandatory="Yes"/>
          </StudyEventDef>
          <StudyEventDef OID="SE.W2" Name="Week 2" Repeating="No" Type="Scheduled" \(visitAttributes) tc:ArmOIDs="ARM.A ARM.B">
            <FormRef FormOID="\(formRef)" Mandatory="Yes"/>
          </StudyEventDef>
          <FormDef OID="F.VITALS" Name="Vitals" Repeating="No"><ItemGroupRef ItemGroupOID="IG.VS" Mandatory="Yes"/></FormDef>
          <ItemGroupDef OID="IG.VS" Name="Vital signs" Repeating="No">
            <ItemRef ItemOID="IT.SYSBP" Mandatory="Yes"/><ItemRef ItemOID="IT.SEX" Mandatory="No"/>
          </ItemGroupDef>
          <ItemDef OID="IT.SYSBP" Name="Systolic BP" DataType="integer" Length="3">
            <RangeCheck Comparator="GE" SoftHard="Hard"><CheckValue>60</CheckValue></RangeCheck>
            <RangeCheck Comparator="LE" SoftHard="Hard"><CheckValue>250</CheckValue></RangeCheck>
          </ItemDef>
          <ItemDef OID="IT.SEX" Name="Sex" DataType="text" Length="1"><CodeListRef CodeListOID="CL.SEX"/></ItemDef>\(extraItem)
          <CodeList OID="CL.SEX" Name="Sex" DataType="text">
            <CodeListItem CodedValue="F"><Decode><TranslatedText>Female</TranslatedText></Decode></CodeListItem>
            <CodeListItem CodedValue="M"><Decode><TranslatedText>Male</TranslatedText></Decode></CodeListItem>
          </CodeList>
          <tc:Arms><tc:Arm OID="ARM.A" Name="Active"/><tc:Arm OID="ARM.B" Name="Placebo"/></tc:Arms>
          <tc:ConsentForms><tc:ConsentForm Version="2.0"/><tc:ConsentForm Version="1.1" ApprovedOn="2026-01-10"/></tc:ConsentForms>
        </MetaDataVersion>
      </Study>
    </ODM>
    """
}

@Suite("ODM protocols")
struct ODMProtocolReaderTests {
    @Test func readsVisitsWindowsItemsArmsAndConsentForms() throws {
        let parsed = try readProtocol(protocolXML())
        #expect(parsed.studyOID == "S1" && parsed.studyName == "Study one" && parsed.windowSource == "trialchain")
        #expect(parsed.visits.map(\.oid) == ["SE.BASE", "SE.W2"])
        let week2 = try #require(parsed.visit("SE.W2"))
        #expect(week2.plannedDay == 15 && week2.windowBefore == 3 && week2.windowAfter == 3)
        #expect(week2.armOIDs == ["ARM.A", "ARM.B"] && week2.itemOIDs == ["IT.SEX", "IT.SYSBP"])
        #expect(parsed.item("IT.SYSBP")?.rangeChecks == [.init(comparator: "GE", values: ["60"], hard: true), .init(comparator: "LE", values: ["250"], hard: true)])
        #expect(parsed.item("IT.SEX")?.codeListOID == "CL.SEX")
        #expect(parsed.codeList("CL.SEX")?.values == ["F", "M"])
        #expect(parsed.arms.map(\.name) == ["Active", "Placebo"])
        #expect(parsed.approvedConsentVersions == ["1.1", "2.0"])
    }

    @Test func aREDCapExportIngestsWithItsWindows() throws {
        let parsed = try protocolReader.read(url: Corpus.url("odm/redcapr_longitudinal_project.xml"))
        #expect(parsed.windowSource == "redcap")
        #expect(parsed.visits.count == 12)
        #expect(parsed.arms.map(\.oid) == ["ARM.1", "ARM.2"])
        let visit = try #require(parsed.visit("Event.visit_1_arm_1"))
        // REDCap's DayOffset 3 is three calendar days after the first event: study day 4.
        #expect(visit.plannedDay == 4 && visit.windowBefore == 0 && visit.windowAfter == 0 && visit.armOIDs == ["ARM.1"])
        // The first event, at REDCap's day offset 0, is study day 1 (CDISC has no day 0).
        #expect(parsed.visit("Event.enrollment_arm_1")?.plannedDay == 1)
        #expect(!visit.itemOIDs.isEmpty)
        // REDCap's known schema deviations are kept as warnings, not silently dropped.
        #expect(parsed.schemaWarnings.contains { $0.contains("boolean") })
    }

    /// REDCap declares repetition only in its global settings (`redcap:RepeatingInstrumentsAndEvents`),
    /// by unique event name, in the form REDCap's own exporter writes it.
    @Test func aREDCapRepeatingEventOrInstrumentReadsAsRepeating() throws {
        let original = try String(contentsOf: Corpus.url("odm/redcapr_longitudinal_project.xml"), encoding: .utf8)
        let settings = """
            \t<redcap:RepeatingInstrumentsAndEvents>
            \t\t<redcap:RepeatingInstruments>
            \t\t\t<redcap:RepeatingInstrument redcap:UniqueEventName="visit_1_arm_1" redcap:RepeatInstrument="visit_lab_data" redcap:CustomLabel=""/>
            \t\t</redcap:RepeatingInstruments>
            \t\t<redcap:RepeatingEvent redcap:UniqueEventName="dose_2_arm_1"/>
            \t</redcap:RepeatingInstrumentsAndEvents>
            </GlobalVariables>
            """
        let text = original.replacingOccurrences(of: "</GlobalVariables>", with: settings)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("redcap-repeating-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(text.utf8).write(to: url)
        let parsed = try protocolReader.read(url: url)
        #expect(parsed.visit("Event.visit_1_arm_1")?.repeating == true, "an event with a repeating instrument")
        #expect(parsed.visit("Event.dose_2_arm_1")?.repeating == true, "a repeating event")
        #expect(parsed.visit("Event.dose_1_arm_1")?.repeating == false)
        // Without the settings block, nothing repeats (REDCap writes Repeating="No" on every event).
        #expect(try protocolReader.read(url: Corpus.url("odm/redcapr_longitudinal_project.xml")).visits.allSatisfy { !$0.repeating })
    }

    @Test func realODM132MetadataValidates() throws {
        let parsed = try protocolReader.read(url: Corpus.url("odm/odmlib_odm-data-snapshot.xml"))
        #expect(!parsed.items.isEmpty && parsed.schemaWarnings.isEmpty)
        // This real file validates but refers to a code list it never defines: named, not ignored.
        #expect(throws: ProtocolError.unusable(file: "cdash.xml", line: 294, message: "ItemDef ODM.IT.DM.SEX refers to code list \"CL.SEX\", which is not defined")) {
            try protocolReader.read(url: Corpus.url("odm/odmlib_cdash-odm-test.xml"), displayName: "cdash.xml")
        }
    }

    @Test func anUnboundPrefixIsAClearNamespaceError() {
        #expect { try protocolReader.read(url: Corpus.url("odm/odmlib_test_odm_001.xml"), displayName: "odmlib_test_odm_001.xml") } throws: { error in
            guard case let .notWellFormed(file, line, message)? = error as? ProtocolError else { return false }
            return file == "odmlib_test_odm_001.xml" && line == 2 && message.contains("Namespace prefix xs")
        }
    }

    @Test(arguments: ["cdisc_odm2_Chronic_Low_Back_Pain_example.xml", "cdisc_odm2_SimpleTimingConstraints.xml"])
    func odm2IsNamedAsNotODM13(name: String) {
        #expect { try protocolReader.read(url: Corpus.url("odm/\(name)")) } throws: { error in
            if case .notODM13 = error as? ProtocolError { return true }
            return false
        }
    }

    @Test func externalEntitiesAndEntityBombsAreRefused() {
        let xxe = "\n<!DOCTYPE ODM [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        #expect(throws: ProtocolError.forbiddenDTD(file: "p.xml", line: 2)) {
            try readProtocol(protocolXML(visitAttributes: #"tc:PlannedStudyDay="15" Name2="&xxe;""#, doctype: xxe))
        }
        var laughs = "\n<!DOCTYPE ODM [<!ENTITY lol \"lol\">"
        for level in 1...9 { laughs += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10) + "\">" }
        laughs += "]>"
        #expect { try readProtocol(protocolXML(doctype: laughs)) } throws: { error in
            if case .forbiddenDTD = error as? ProtocolError { return true }
            return false
        }
        let network = "\n<!DOCTYPE ODM SYSTEM \"http://example.invalid/odm.dtd\">"
        #expect { try readProtocol(protocolXML(doctype: network)) } throws: { error in
            if case .forbiddenDTD = error as? ProtocolError { return true }
            return false
        }
    }

    @Test func truncatedAndDeeplyNestedDocumentsNameTheLine() {
        let text = protocolXML()
        #expect { try readProtocol(String(text.prefix(text.count / 2))) } throws: { error in
            if case .notWellFormed(_, let line, _) = error as? ProtocolError { return line > 1 }
            return false
        }
        let deep = String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000)
        #expect { try readProtocol(deep) } throws: { error in error is ProtocolError }
        #expect { try readProtocol("") } throws: { error in error is ProtocolError }
        #expect { try readProtocol("{\"resourceType\":\"Consent\"}") } throws: { error in error is ProtocolError }
    }

    @Test func schemaErrorsNameTheLine() {
        #expect { try readProtocol(protocolXML(visitAttributes: #"tc:PlannedStudyDay="15" tc:WindowBefore="-3""#)) } throws: { error in
            guard case let .schemaInvalid(_, errors)? = error as? ProtocolError else { return false }
            return errors.first?.contains("line 11") == true && errors.first?.contains("WindowBefore") == true
        }
        #expect { try readProtocol(protocolXML().replacingOccurrences(of: #" Name="Vitals""#, with: "")) } throws: { error in
            guard case let .schemaInvalid(_, errors)? = error as? ProtocolError else { return false }
            return errors.first?.contains("Name") == true
        }
    }

    @Test func undefinedReferencesAreNamed() {
        #expect(throws: ProtocolError.unusable(file: "p.xml", line: 12, message: "FormRef names form \"F.MISSING\", which is not defined")) {
            try readProtocol(protocolXML(formRef: "F.MISSING"))
        }
        #expect { try readProtocol(protocolXML(extraItem: #"<ItemDef OID="IT.X" Name="X" DataType="text"><CodeListRef CodeListOID="CL.NONE"/></ItemDef>"#)) } throws: { error in
            guard case let .unusable(_, _, message)? = error as? ProtocolError else { return false }
            return message.contains("CL.NONE")
        }
    }

    @Test func theArtifactIsDeterministic() throws {
        let one = try readProtocol(protocolXML())
        let two = try readProtocol(protocolXML())
        #expect(CanonicalBytes.of(one) == CanonicalBytes.of(two))
    }
}

import Attestation
enum CanonicalBytes {
    static func of(_ value: TrialProtocol) -> [UInt8] { CanonicalJSON.encode(value.json) }
}
