import Attestation
import MerkleLog

/// The content of a measurement record, which the workspace stores as columns only.
///
/// A measurement's content is exactly its columns (participant, site, visit, item, value, unit,
/// collection time), so its canonical bytes are not stored a second time: they are rebuilt from
/// the columns and the participant's salt whenever they are needed (proofs, verification). The
/// leaf hash therefore covers the very columns that contracts read.
///
/// Content: `{"collectedAt":…,"item":…,"kind":"measurement","participant":…,"site":…,["unit":…,]"value":…,"visit":…}`
/// (RFC 8785: keys in this order, strings escaped as `CanonicalJSON` does). `unit` is absent when
/// the stage's column layout has no unit column, and `""` when the column is there but empty.
public enum MeasurementContent {
    /// The `kind` member of every measurement record.
    public static let kind = "measurement"

    /// Appends the canonical record `{"record":<content>,"salt":"<hex>"}` to `out`.
    /// - parameter saltHex: the participant's salt, lowercase hex (64 bytes).
    @inlinable
    public static func appendCanonical<Bytes: Collection<UInt8>>(participant: Bytes, site: Bytes, visit: Bytes, item: Bytes, value: Bytes,
                                                                 unit: Bytes?, collectedAt: Bytes, saltHex: Bytes, to out: inout [UInt8]) {
        Keys.append(Keys.collectedAt, to: &out)
        CanonicalJSON.appendString(utf8: collectedAt, to: &out)
        Keys.append(Keys.item, to: &out)
        CanonicalJSON.appendString(utf8: item, to: &out)
        Keys.append(Keys.kind, to: &out)
        Keys.append(Keys.participant, to: &out)
        CanonicalJSON.appendString(utf8: participant, to: &out)
        Keys.append(Keys.site, to: &out)
        CanonicalJSON.appendString(utf8: site, to: &out)
        if let unit {
            Keys.append(Keys.unit, to: &out)
            CanonicalJSON.appendString(utf8: unit, to: &out)
        }
        Keys.append(Keys.value, to: &out)
        CanonicalJSON.appendString(utf8: value, to: &out)
        Keys.append(Keys.visit, to: &out)
        CanonicalJSON.appendString(utf8: visit, to: &out)
        Keys.append(Keys.salt, to: &out)
        out.append(contentsOf: saltHex)
        Keys.append(Keys.end, to: &out)
    }

    /// The canonical record bytes of a measurement from its column values.
    public static func canonical(participant: String, site: String, visit: String, item: String, value: String,
                                 unit: String?, collectedAt: String, saltHex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendCanonical(participant: participant.utf8, site: site.utf8, visit: visit.utf8, item: item.utf8, value: value.utf8,
                        unit: unit?.utf8, collectedAt: collectedAt.utf8, saltHex: saltHex.utf8, to: &out)
        return out
    }

    /// The content alone as a JSON value (what the canonical bytes hold under `record`).
    public static func content(participant: String, site: String, visit: String, item: String, value: String,
                               unit: String?, collectedAt: String) -> JSONValue {
        var content: [String: JSONValue] = [
            "kind": .string(kind), "participant": .string(participant), "site": .string(site), "visit": .string(visit),
            "item": .string(item), "value": .string(value), "collectedAt": .string(collectedAt),
        ]
        if let unit { content["unit"] = .string(unit) }
        return .object(content)
    }

    /// The member prefixes, in RFC 8785 key order: static strings, so that appending one per
    /// member of a million rows costs no reference counting.
    @usableFromInline
    enum Keys {
        @usableFromInline static var collectedAt: StaticString { #"{"record":{"collectedAt":"# }
        @usableFromInline static var item: StaticString { #","item":"# }
        @usableFromInline static var kind: StaticString { #","kind":"measurement""# }
        @usableFromInline static var participant: StaticString { #","participant":"# }
        @usableFromInline static var site: StaticString { #","site":"# }
        @usableFromInline static var unit: StaticString { #","unit":"# }
        @usableFromInline static var value: StaticString { #","value":"# }
        @usableFromInline static var visit: StaticString { #","visit":"# }
        @usableFromInline static var salt: StaticString { #"},"salt":""# }
        @usableFromInline static var end: StaticString { #""}"# }

        @inlinable
        static func append(_ key: StaticString, to out: inout [UInt8]) {
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        }
    }
}
