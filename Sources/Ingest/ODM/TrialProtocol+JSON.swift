import Attestation

extension TrialProtocol {
    /// Reads a protocol artifact back (the inverse of `json`).
    /// - returns: `nil` when the JSON is not a protocol artifact.
    public init?(json value: JSONValue) {
        func strings(_ v: JSONValue?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }
        func int(_ v: JSONValue?) -> Int? { v?.integerValue.map(Int.init) }
        guard let visits = value["visits"]?.arrayValue, let items = value["items"]?.arrayValue,
              let codeLists = value["codeLists"]?.arrayValue, let arms = value["arms"]?.arrayValue else { return nil }
        self.init(
            studyOID: value["studyOID"]?.stringValue ?? "", studyName: value["studyName"]?.stringValue ?? "",
            metaDataVersionOID: value["metaDataVersionOID"]?.stringValue ?? "", odmVersion: value["odmVersion"]?.stringValue ?? "",
            windowSource: value["windowSource"]?.stringValue ?? "none",
            visits: visits.map { v in
                Visit(oid: v["oid"]?.stringValue ?? "", name: v["name"]?.stringValue ?? "", order: int(v["order"]) ?? 0,
                      repeating: v["repeating"] == .bool(true), plannedDay: int(v["plannedDay"]), windowBefore: int(v["windowBefore"]),
                      windowAfter: int(v["windowAfter"]), armOIDs: strings(v["armOIDs"]), itemOIDs: strings(v["itemOIDs"]),
                      redcapEventName: v["redcapEventName"]?.stringValue)
            },
            items: items.map { i in
                Item(oid: i["oid"]?.stringValue ?? "", name: i["name"]?.stringValue ?? "", dataType: i["dataType"]?.stringValue ?? "text",
                     length: int(i["length"]), significantDigits: int(i["significantDigits"]), codeListOID: i["codeListOID"]?.stringValue,
                     unit: i["unit"]?.stringValue,
                     rangeChecks: (i["rangeChecks"]?.arrayValue ?? []).map { c in
                         RangeCheck(comparator: c["comparator"]?.stringValue ?? "", values: strings(c["values"]), hard: c["hard"] == .bool(true))
                     })
            },
            codeLists: codeLists.map { CodeList(oid: $0["oid"]?.stringValue ?? "", dataType: $0["dataType"]?.stringValue ?? "text", values: strings($0["values"])) },
            arms: arms.map { Arm(oid: $0["oid"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "") },
            approvedConsentVersions: strings(value["approvedConsentVersions"]), schemaWarnings: strings(value["schemaWarnings"]))
    }
}
