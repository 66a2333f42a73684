extension CanonicalJSON {
    /// Whether `a` sorts before `b` as RFC 8785 orders member names (by UTF-16 code units).
    /// Compares UTF-8 bytes (fast for the native strings keys are), which orders like UTF-16
    /// except between U+E000–U+FFFF and characters past U+FFFF (lead bytes 0xEE–0xEF against
    /// 0xF0–0xF4): there it compares the UTF-16 code units.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator(), right = b.utf8.makeIterator()
        while true {
            guard let x = left.next() else { return right.next() != nil }
            guard let y = right.next() else { return false }
            if x == y { continue }
            if x >= 0xEE, y >= 0xEE, (x >= 0xF0) != (y >= 0xF0) { return a.utf16.lexicographicallyPrecedes(b.utf16) }
            return x < y
        }
    }

    /// The canonical bytes of an object whose member `arrayKey` is an array written element by
    /// element, up to that array's opening bracket: `{"a":1,"key":[`. With `objectTail`, and the
    /// elements' canonical bytes joined by commas between them, this gives exactly
    /// `encode(.object(...))` of the whole object.
    /// - precondition: every member of `members` sorts before `arrayKey`.
    public static func objectHead(_ members: [String: JSONValue], arrayKey: String) -> [UInt8] {
        precondition(members.keys.allSatisfy { precedes($0, arrayKey) }, "members after \(arrayKey) belong in the tail")
        var out = encode(.object(members))
        out.removeLast()
        if !members.isEmpty { out.append(UInt8(ascii: ",")) }
        appendString(arrayKey, to: &out)
        out.append(contentsOf: ":[".utf8)
        return out
    }

    /// The end of the streamed array and the members after it: `],"z":2}`.
    /// - precondition: every member of `members` sorts after `arrayKey`.
    public static func objectTail(_ members: [String: JSONValue], arrayKey: String) -> [UInt8] {
        precondition(members.keys.allSatisfy { precedes(arrayKey, $0) }, "members before \(arrayKey) belong in the head")
        var out: [UInt8] = [UInt8(ascii: "]")]
        if members.isEmpty {
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: encode(.object(members)).dropFirst())
        }
        return out
    }
}
