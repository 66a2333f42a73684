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
        out.append(contentsOf: Keys.collectedAt)
        CanonicalJSON.appendString(utf8: collectedAt, to: &out)
        out.append(contentsOf: Keys.item)
        CanonicalJSON.appendString(utf8: item, to: &out)
        out.append(contentsOf: Keys.kind)
        out.append(contentsOf: Keys.participant)
        CanonicalJSON.appendString(utf8: participant, to: &out)
        out.append(contentsOf: Keys.site)
        CanonicalJSON.appendString(utf8: site, to: &out)
        if let unit {
            out.append(contentsOf: Keys.unit)
            CanonicalJSON.appendString(utf8: unit, to: &out)
        }
        out.append(contentsOf: Keys.value)
        CanonicalJSON.appendString(utf8: value, to: &out)
        out.append(contentsOf: Keys.visit)
        CanonicalJSON.appendString(utf8: visit, to: &out)
        out.append(contentsOf: Keys.salt)
        out.append(contentsOf: saltHex)
        out.append(contentsOf: Keys.end)
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

    /// The member prefixes, in RFC 8785 key order.
    @usableFromInline
    enum Keys {
        @usableFromInline static let collectedAt = Array(#"{"record":{"collectedAt":"#.utf8)
        @usableFromInline static let item = Array(#","item":"#.utf8)
        @usableFromInline static let kind = Array(#","kind":"measurement""#.utf8)
        @usableFromInline static let participant = Array(#","participant":"#.utf8)
        @usableFromInline static let site = Array(#","site":"#.utf8)
        @usableFromInline static let unit = Array(#","unit":"#.utf8)
        @usableFromInline static let value = Array(#","value":"#.utf8)
        @usableFromInline static let visit = Array(#","visit":"#.utf8)
        @usableFromInline static let salt = Array(#"},"salt":""#.utf8)
        @usableFromInline static let end = Array(#""}"#.utf8)
    }
}
