import Foundation

/// The participants a measurement stage meets: each one's name, salt (lowercase hex) and consent
/// period in flat arrays, found from the name's bytes without making a `String`.
///
/// About 100 bytes a participant (a dictionary of `String` to salt array took several times
/// that), so a trial of 128,000 participants costs about 13 MB.
struct ParticipantTable: Sendable {
    private var names: [UInt8] = []
    /// Where each name starts in `names`, plus the end of the last.
    private var nameStarts: [UInt32] = [0]
    /// 64 hex digits per participant.
    private var salts: [UInt8] = []
    private var periods: [ConsentIndex.Period?] = []
    /// True while a participant first met in this stage has no salt yet (none of their rows accepted).
    private var pending: [Bool] = []
    /// Open addressing: each slot holds an index plus one, or 0 when empty.
    private var slots: [Int32] = Array(repeating: 0, count: 64)

    static let saltHexCount = 64

    init() {}

    /// The number of participants.
    var count: Int { periods.count }

    /// The participant's index, if present.
    func index(of name: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        var slot = fnv1a(name) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if self.name(entry - 1, equals: name) { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Adds a participant not yet present.
    /// - parameter saltHex: the salt as 64 lowercase hex digits.
    /// - returns: its index.
    @discardableResult
    mutating func insert(name: UnsafeRawBufferPointer, saltHex: UnsafeRawBufferPointer, period: ConsentIndex.Period?, pending: Bool = false) -> Int {
        precondition(saltHex.count == ParticipantTable.saltHexCount, "a salt is 64 hex digits")
        self.pending.append(pending)
        if (count + 1) * 2 > slots.count { grow() }
        names.append(contentsOf: name)
        nameStarts.append(UInt32(names.count))
        salts.append(contentsOf: saltHex)
        periods.append(period)
        place(count - 1, hash: fnv1a(name))
        return count - 1
    }

    /// Whether the participant still waits for a salt (inserted with `pending`).
    func needsSalt(_ index: Int) -> Bool { pending[index] }

    /// Gives a pending participant its salt (64 lowercase hex digits).
    mutating func setSalt(_ index: Int, saltHex: [UInt8]) {
        precondition(saltHex.count == ParticipantTable.saltHexCount, "a salt is 64 hex digits")
        salts.replaceSubrange(index * 64 ..< index * 64 + 64, with: saltHex)
        pending[index] = false
    }

    /// The participant's name.
    func name(_ index: Int) -> String {
        names.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[Int(nameStarts[index]) ..< Int(nameStarts[index + 1])]), as: UTF8.self) }
    }

    /// The participant's consent period (nil: no accepted consent).
    func period(_ index: Int) -> ConsentIndex.Period? { periods[index] }

    /// Calls `body` with the participant's salt as 64 lowercase hex digits.
    func withSaltHex<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        salts.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[index * 64 ..< index * 64 + 64])) }
    }

    /// True when participant `index` is called `other`.
    func name(_ index: Int, equals other: UnsafeRawBufferPointer) -> Bool {
        let start = Int(nameStarts[index]), end = Int(nameStarts[index + 1])
        guard end - start == other.count else { return false }
        return names.withUnsafeBytes { stored in
            other.isEmpty || memcmp(stored.baseAddress! + start, other.baseAddress!, other.count) == 0
        }
    }

    private mutating func place(_ index: Int, hash: Int) {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(index + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for index in 0..<count {
            let start = Int(nameStarts[index]), end = Int(nameStarts[index + 1])
            let hash = names.withUnsafeBytes { fnv1a(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
            place(index, hash: hash)
        }
    }
}
