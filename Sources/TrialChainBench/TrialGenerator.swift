import Crypto
import Foundation

/// Writes a synthetic but realistic trial from a seed: the protocol (ODM with TrialChain's
/// extension), FHIR consents with their signed documents, and per-site measurement CSVs with a
/// few realistic bad rows. The same seed and sizes give the same bytes.
struct TrialGenerator {
    var participants = 60
    var sites = ["101", "102", "103"]
    var seed: UInt64 = 20_260_115
    var diaryDays = 84
    /// Put every measurement in one file (for benchmarks) instead of one file per site.
    var singleFile = false
    /// Write the small curated problems (withdrawals, an unapproved form, bad rows).
    var withProblems = true

    struct Visit {
        let oid: String, name: String, day: Int, before: Int, after: Int, labs: Bool
    }
    static let visits = [
        Visit(oid: "SE.SCREENING", name: "Screening", day: -14, before: 7, after: 0, labs: true),
        Visit(oid: "SE.BASELINE", name: "Baseline (Day 1)", day: 1, before: 0, after: 0, labs: true),
        Visit(oid: "SE.WEEK2", name: "Week 2", day: 15, before: 3, after: 3, labs: false),
        Visit(oid: "SE.WEEK4", name: "Week 4", day: 29, before: 3, after: 3, labs: true),
        Visit(oid: "SE.WEEK8", name: "Week 8", day: 57, before: 5, after: 5, labs: false),
        Visit(oid: "SE.WEEK12", name: "Week 12 (end of treatment)", day: 85, before: 7, after: 7, labs: true),
        Visit(oid: "SE.FOLLOWUP", name: "Follow-up", day: 113, before: 7, after: 7, labs: false),
    ]
    struct Item {
        let oid: String, name: String, type: String, unit: String?, low: Double, high: Double, mean: Double, sd: Double, decimals: Int
    }
    static let vitals = [
        Item(oid: "IT.SYSBP", name: "Systolic blood pressure", type: "integer", unit: "mmHg", low: 60, high: 250, mean: 128, sd: 14, decimals: 0),
        Item(oid: "IT.DIABP", name: "Diastolic blood pressure", type: "integer", unit: "mmHg", low: 30, high: 150, mean: 81, sd: 9, decimals: 0),
        Item(oid: "IT.HR", name: "Heart rate", type: "integer", unit: "beats/min", low: 30, high: 220, mean: 72, sd: 10, decimals: 0),
        Item(oid: "IT.WEIGHT", name: "Body weight", type: "float", unit: "kg", low: 30, high: 250, mean: 78, sd: 13, decimals: 1),
        Item(oid: "IT.TEMP", name: "Body temperature", type: "float", unit: "C", low: 34, high: 42, mean: 36.7, sd: 0.3, decimals: 1),
    ]
    static let labs = [
        Item(oid: "IT.ALT", name: "Alanine aminotransferase", type: "float", unit: "U/L", low: 0, high: 1000, mean: 24, sd: 8, decimals: 0),
        Item(oid: "IT.CREAT", name: "Creatinine", type: "float", unit: "umol/L", low: 10, high: 1500, mean: 80, sd: 15, decimals: 0),
        Item(oid: "IT.HGB", name: "Haemoglobin", type: "float", unit: "g/dL", low: 3, high: 25, mean: 14, sd: 1.3, decimals: 1),
        Item(oid: "IT.GLUC", name: "Fasting glucose", type: "float", unit: "mmol/L", low: 1, high: 40, mean: 5.3, sd: 0.6, decimals: 1),
    ]

    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func normal(_ mean: Double, _ sd: Double) -> Double {
            let u = max(unit(), 1e-12), v = unit()
            return mean + sd * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    func write(to root: URL) throws {
        let fm = FileManager.default
        for folder in ["consents/documents", "measurements"] {
            try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try Data(protocolXML().utf8).write(to: root.appendingPathComponent("protocol.xml"))
        var rng = Random(state: seed)
        // A separate stream for randomisation, so arms do not shift the other values.
        var randomisation = Random(state: seed ^ 0xA11C_A7E5)
        let start = 20_469 // 2026-01-15 as days since 1970
        var withdrawals: [(id: String, day: Int)] = []
        var files: [String: FileHandle] = [:]
        func handle(_ site: String) throws -> FileHandle {
            let name = singleFile ? "measurements.csv" : "site-\(site).csv"
            if let open = files[name] { return open }
            let url = root.appendingPathComponent("measurements").appendingPathComponent(name)
            _ = fm.createFile(atPath: url.path, contents: Data("participant,site,visit,item,value,unit,collected_at\n".utf8))
            let opened = try FileHandle(forWritingTo: url)
            try opened.seekToEnd()
            files[name] = opened
            return opened
        }
        for number in 1...participants {
            let id = String(format: "P-%04d", number)
            let site = sites[(number - 1) % sites.count]
            let screening = start + rng.int(0...59)
            let baseline = screening + 14
            let signedDay = screening - 1
            let unapproved = withProblems && number == 17
            let version = unapproved ? "1.0" : (number % 4 == 0 ? "1.1" : "2.0")
            let document = "documents/\(id)-consent-v\(version).pdf"
            let pdf = Data("%PDF-1.4\n% synthetic consent form v\(version) signed by participant \(id) at site \(site)\n%%EOF\n".utf8)
            try pdf.write(to: root.appendingPathComponent("consents").appendingPathComponent(document))
            let sha1 = Data(Insecure.SHA1.hash(data: pdf)).base64EncodedString()
            try Data(consentJSON(id: id, version: version, status: "active", signed: day(signedDay) + "T09:30:00Z",
                                 end: nil, document: document, sha1: sha1).utf8)
                .write(to: root.appendingPathComponent("consents/\(id).json"))
            var withdrawalDay: Int?
            if withProblems && (number == 9 || number == 28 || number == 44) {
                withdrawalDay = baseline + [9: 20, 28: 45, 44: 70][number]!
                withdrawals.append((id, withdrawalDay!))
            }
            var lines = ""
            func row(_ visit: String, _ item: String, _ value: String, _ unit: String?, _ dayNumber: Int, _ time: String) {
                lines += "\(id),\(site),\(visit),\(item),\(value),\(unit ?? ""),\(day(dayNumber))T\(time)Z\n"
            }
            let skipsWeek8 = number % 13 == 0
            let arm = randomisation.unit() < 0.5 ? "ARM.A" : "ARM.B"
            var visitDays: [String: Int] = [:]
            for visit in TrialGenerator.visits {
                if skipsWeek8 && visit.oid == "SE.WEEK8" { continue }
                var offset = visit.day - 1 + rng.int(-min(visit.before, 2)...min(visit.after, 2))
                if number % 11 == 0 && visit.oid == "SE.WEEK4" { offset = visit.day - 1 + visit.after + 4 }
                let visitDay = visit.oid == "SE.SCREENING" ? screening : baseline + offset
                if let withdrawalDay, visitDay >= withdrawalDay { break }
                let time = String(format: "%02d:%02d:00", rng.int(8...16), rng.int(0...59))
                visitDays[visit.oid] = visitDay
                for item in TrialGenerator.vitals + (visit.labs ? TrialGenerator.labs : []) {
                    let value = min(item.high, max(item.low, rng.normal(item.mean, item.sd)))
                    row(visit.oid, item.oid, String(format: "%.\(item.decimals)f", value), item.unit, visitDay, time)
                }
                if visit.oid == "SE.BASELINE" { row(visit.oid, "IT.ARM", arm, nil, visitDay, time) }
            }
            let adherence = 0.55 + 0.45 * rng.unit()
            // P-0050 lost their diary device: no diary at all.
            for diaryDay in 0..<diaryDays where !(withProblems && number == 50) {
                let dayNumber = baseline + diaryDay
                if let withdrawalDay, dayNumber >= withdrawalDay { break }
                if rng.unit() > 0.97 { continue }
                row("SE.DIARY", "IT.DOSE_TAKEN", rng.unit() < adherence ? "Y" : "N", nil, dayNumber, "21:00:00")
            }
            if withProblems {
                switch number {
                // A blood pressure re-measured the next day: the week 2 visit recorded twice.
                case 23: row("SE.WEEK2", "IT.SYSBP", "126", "mmHg", visitDays["SE.WEEK2"]! + 1, "09:15:00")
                // A diary entered twice for one day, and two conflicting entries for the next.
                case 30:
                    row("SE.DIARY", "IT.DOSE_TAKEN", "Y", nil, baseline + 5, "21:30:00")
                    row("SE.DIARY", "IT.DOSE_TAKEN", "N", nil, baseline + 6, "22:00:00")
                case 5: row("SE.WEEK2", "IT.SYSBP", "400", "mmHg", baseline + 14, "10:00:00")
                case 12: row("SE.WEEK4", "IT.HR", "7O", "beats/min", baseline + 28, "10:00:00")
                case 20: row("SE.WEEK2", "IT.WEIGHT", "81.2", "lb", baseline + 14, "10:05:00")
                case 33: row("SE.WEEK6", "IT.SYSBP", "131", "mmHg", baseline + 42, "11:00:00")
                case 38: row("SE.WEEK2", "IT.CHOL", "5.1", "mmol/L", baseline + 14, "11:00:00")
                case 41: lines += "\(id),\(site),SE.WEEK2,IT.HR,70,beats/min\n"
                case 47: row("SE.WEEK2", "IT.DIABP", "80", "mmHg", baseline + 14, "25:00:00")
                case 9: row("SE.WEEK8", "IT.SYSBP", "128", "mmHg", withdrawalDay! + 10, "10:00:00")
                default: break
                }
            }
            try handle(site).write(contentsOf: Data(lines.utf8))
        }
        if withProblems {
            try handle(sites[0]).write(contentsOf: Data("P-9999,\(sites[0]),SE.WEEK2,IT.SYSBP,120,mmHg,2026-03-01T10:00:00Z\n".utf8))
        }
        for file in files.values { try file.close() }
        if !withdrawals.isEmpty {
            let entries = withdrawals.map { w in
                #"{"fullUrl": "urn:uuid:withdrawal-\#(w.id)", "resource": "# + consentJSON(
                    id: w.id, version: w.id == "P-0028" ? "1.1" : "2.0", status: "inactive", signed: day(w.day) + "T14:00:00Z",
                    end: day(w.day) + "T00:00:00Z", document: "documents/\(w.id)-withdrawal.pdf", sha1: nil) + "}"
            }
            for w in withdrawals {
                try Data("%PDF-1.4\n% synthetic withdrawal form of participant \(w.id)\n%%EOF\n".utf8)
                    .write(to: root.appendingPathComponent("consents/documents/\(w.id)-withdrawal.pdf"))
            }
            let bundle = "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [\n" + entries.joined(separator: ",\n") + "\n]}\n"
            try Data(bundle.utf8).write(to: root.appendingPathComponent("consents/withdrawals.json"))
        }
    }

    func day(_ number: Int) -> String {
        let date = Date(timeIntervalSince1970: Double(number) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    func consentJSON(id: String, version: String, status: String, signed: String, end: String?, document: String, sha1: String?) -> String {
        let hash = sha1.map { ", \"hash\": \"\($0)\"" } ?? ""
        let endField = end.map { ", \"end\": \"\($0)\"" } ?? ""
        let start = end == nil ? signed : "2026-01-01T00:00:00Z"
        return """
        {
          "resourceType": "Consent",
          "id": "consent-\(id)\(end == nil ? "" : "-withdrawal")",
          "extension": [{"url": "https://trialchain.dev/fhir/StructureDefinition/consent-form-version", "valueString": "\(version)"}],
          "status": "\(status)",
          "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}]},
          "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
          "patient": {"reference": "Patient/\(id)"},
          "dateTime": "\(signed)",
          "sourceAttachment": {"contentType": "application/pdf", "url": "\(document)"\(hash)},
          "provision": {"type": "permit", "period": {"start": "\(start)"\(endField)}}
        }
        """
    }

    func protocolXML() -> String {
        let visitLines = TrialGenerator.visits.map { v -> String in
            let forms = "<FormRef FormOID=\"F.VITALS\" Mandatory=\"Yes\"/>" + (v.labs ? "<FormRef FormOID=\"F.LABS\" Mandatory=\"Yes\"/>" : "")
                + (v.oid == "SE.BASELINE" ? "<FormRef FormOID=\"F.RAND\" Mandatory=\"Yes\"/>" : "")
            return "      <StudyEventDef OID=\"\(v.oid)\" Name=\"\(v.name)\" Repeating=\"No\" Type=\"\(v.oid == "SE.FOLLOWUP" ? "Unscheduled" : "Scheduled")\" tc:PlannedStudyDay=\"\(v.day)\" tc:WindowBefore=\"\(v.before)\" tc:WindowAfter=\"\(v.after)\">\(forms)</StudyEventDef>"
        }.joined(separator: "\n")
        let refs = (TrialGenerator.visits.map(\.oid) + ["SE.DIARY"]).enumerated().map { index, oid -> String in
            "        <StudyEventRef StudyEventOID=\"\(oid)\" OrderNumber=\"\(index + 1)\" Mandatory=\"\(oid == "SE.FOLLOWUP" || oid == "SE.DIARY" ? "No" : "Yes")\"/>"
        }.joined(separator: "\n")
        let units = Set((TrialGenerator.vitals + TrialGenerator.labs).compactMap(\.unit)).sorted()
        func unitOID(_ unit: String) -> String { "MU." + unit.uppercased().replacingOccurrences(of: "/", with: "_") }
        let unitLines = units.map { (unit: String) -> String in "      <MeasurementUnit OID=\"\(unitOID(unit))\" Name=\"\(unit)\"><Symbol><TranslatedText xml:lang=\"en\">\(unit)</TranslatedText></Symbol></MeasurementUnit>" }.joined(separator: "\n")
        func items(_ list: [Item]) -> String {
            list.map { item -> String in
                let length = item.type == "integer" ? " Length=\"3\"" : " Length=\"6\" SignificantDigits=\"\(item.decimals)\""
                return "      <ItemDef OID=\"\(item.oid)\" Name=\"\(item.name)\" DataType=\"\(item.type)\"\(length)>"
                    + "<MeasurementUnitRef MeasurementUnitOID=\"\(unitOID(item.unit!))\"/>"
                    + "<RangeCheck Comparator=\"GE\" SoftHard=\"Hard\"><CheckValue>\(Int(item.low))</CheckValue></RangeCheck>"
                    + "<RangeCheck Comparator=\"LE\" SoftHard=\"Hard\"><CheckValue>\(Int(item.high))</CheckValue></RangeCheck></ItemDef>"
            }.joined(separator: "\n")
        }
        func itemRefs(_ list: [Item]) -> String { list.map { (item: Item) -> String in "<ItemRef ItemOID=\"\(item.oid)\" Mandatory=\"Yes\"/>" }.joined() }
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Synthetic protocol of the TrialChain sample trial (generated by trialchain-bench generate). Not a real study. -->
        <ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:tc="https://trialchain.dev/ns/odm/v1"
             FileOID="DEMO-2026-001.protocol.v1" FileType="Snapshot" Granularity="Metadata"
             CreationDateTime="2026-01-05T09:00:00Z" ODMVersion="1.3.2">
          <Study OID="DEMO-2026-001">
            <GlobalVariables>
              <StudyName>DEMO-2026-001</StudyName>
              <StudyDescription>Synthetic two-arm, 12-week study of a once-daily oral medication versus placebo.</StudyDescription>
              <ProtocolName>DEMO-2026-001 protocol v1.0</ProtocolName>
            </GlobalVariables>
            <BasicDefinitions>
        \(unitLines)
            </BasicDefinitions>
            <MetaDataVersion OID="MDV.1" Name="Protocol version 1.0">
              <Protocol>
        \(refs)
              </Protocol>
        \(visitLines)
              <StudyEventDef OID="SE.DIARY" Name="Daily dosing diary" Repeating="Yes" Type="Common"><FormRef FormOID="F.DIARY" Mandatory="Yes"/></StudyEventDef>
              <FormDef OID="F.VITALS" Name="Vital signs" Repeating="No"><ItemGroupRef ItemGroupOID="IG.VS" Mandatory="Yes"/></FormDef>
              <FormDef OID="F.LABS" Name="Laboratory panel" Repeating="No"><ItemGroupRef ItemGroupOID="IG.LB" Mandatory="Yes"/></FormDef>
              <FormDef OID="F.DIARY" Name="Dosing diary" Repeating="Yes"><ItemGroupRef ItemGroupOID="IG.DIARY" Mandatory="Yes"/></FormDef>
              <FormDef OID="F.RAND" Name="Randomisation" Repeating="No"><ItemGroupRef ItemGroupOID="IG.RAND" Mandatory="Yes"/></FormDef>
              <ItemGroupDef OID="IG.VS" Name="Vital signs" Repeating="No">\(itemRefs(TrialGenerator.vitals))</ItemGroupDef>
              <ItemGroupDef OID="IG.LB" Name="Laboratory panel" Repeating="No">\(itemRefs(TrialGenerator.labs))</ItemGroupDef>
              <ItemGroupDef OID="IG.DIARY" Name="Dosing diary" Repeating="No"><ItemRef ItemOID="IT.DOSE_TAKEN" Mandatory="Yes"/></ItemGroupDef>
              <ItemGroupDef OID="IG.RAND" Name="Randomisation" Repeating="No"><ItemRef ItemOID="IT.ARM" Mandatory="Yes"/></ItemGroupDef>
        \(items(TrialGenerator.vitals))
        \(items(TrialGenerator.labs))
              <ItemDef OID="IT.DOSE_TAKEN" Name="Daily dose taken" DataType="text" Length="1"><CodeListRef CodeListOID="CL.NY"/></ItemDef>
              <ItemDef OID="IT.ARM" Name="Randomised arm" DataType="text" Length="5"><CodeListRef CodeListOID="CL.ARM"/></ItemDef>
              <CodeList OID="CL.NY" Name="No/Yes" DataType="text">
                <CodeListItem CodedValue="N"><Decode><TranslatedText xml:lang="en">No</TranslatedText></Decode></CodeListItem>
                <CodeListItem CodedValue="Y"><Decode><TranslatedText xml:lang="en">Yes</TranslatedText></Decode></CodeListItem>
              </CodeList>
              <CodeList OID="CL.ARM" Name="Arm" DataType="text">
                <CodeListItem CodedValue="ARM.A"><Decode><TranslatedText xml:lang="en">Active 10 mg once daily</TranslatedText></Decode></CodeListItem>
                <CodeListItem CodedValue="ARM.B"><Decode><TranslatedText xml:lang="en">Placebo</TranslatedText></Decode></CodeListItem>
              </CodeList>
              <tc:Arms><tc:Arm OID="ARM.A" Name="Active 10 mg once daily"/><tc:Arm OID="ARM.B" Name="Placebo"/></tc:Arms>
              <tc:ConsentForms><tc:ConsentForm Version="1.1" ApprovedOn="2025-11-20"/><tc:ConsentForm Version="2.0" ApprovedOn="2026-01-05"/></tc:ConsentForms>
            </MetaDataVersion>
          </Study>
        </ODM>

        """
    }
}
