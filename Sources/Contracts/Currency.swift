/// An ISO 4217 currency and its minor unit: every amount TrialChain computes is an integer
/// number of minor units (cents for EUR, yen for JPY, fils for KWD).
public struct Currency: Equatable, Hashable, Sendable {
    /// The ISO 4217 alphabetic code, e.g. `EUR`.
    public let code: String
    /// Digits after the decimal point (ISO 4217 "minor unit"): 2 for EUR, 0 for JPY, 3 for KWD.
    public let minorUnits: Int

    /// The currency with an ISO 4217 code, or `nil` when the code is not an active ISO 4217
    /// currency with a decimal minor unit.
    public init?(code: String) {
        guard let digits = Currency.table[code] else { return nil }
        self.code = code
        self.minorUnits = digits
    }

    /// Parses a decimal amount written in major units (`25`, `25.5`, `25.00`) into minor units,
    /// exactly: no floating point, and no more decimals than the currency has.
    /// - returns: `nil` when the text is not a plain non-negative decimal number or has too many decimals.
    public func minorUnits(of text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 15, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let significant = fraction.reversed().drop(while: { $0 == "0" }).count
        guard significant <= minorUnits else { return nil }
        var value = Int64(whole)!
        for index in 0..<minorUnits {
            let digit = index < fraction.count ? Int64(String(fraction[fraction.index(fraction.startIndex, offsetBy: index)]))! : 0
            value = value * 10 + digit
        }
        return value
    }

    /// Formats minor units as a decimal in major units: `2500` → `25.00` (EUR), `2500` → `2500` (JPY).
    public func format(_ amount: Int64) -> String {
        let sign = amount < 0 ? "-" : ""
        let magnitude = amount.magnitude
        guard minorUnits > 0 else { return sign + String(magnitude) }
        var divisor: UInt64 = 1
        for _ in 0..<minorUnits { divisor *= 10 }
        let fraction = String(magnitude % divisor)
        return sign + String(magnitude / divisor) + "." + String(repeating: "0", count: minorUnits - fraction.count) + fraction
    }

    /// Active ISO 4217 codes and their minor units (ISO 4217 list one, 2024 edition). Funds codes
    /// and currencies without a decimal minor unit (XAU, XDR, …) are left out on purpose.
    static let table: [String: Int] = {
        var table: [String: Int] = [:]
        for code in """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC
            CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES
            KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
            NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
            TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG
            """.split(whereSeparator: \.isWhitespace) { table[String(code)] = 2 }
        for code in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(separator: " ") { table[String(code)] = 0 }
        for code in "BHD IQD JOD KWD LYD OMR TND".split(separator: " ") { table[String(code)] = 3 }
        for code in "CLF UYW".split(separator: " ") { table[String(code)] = 4 }
        return table
    }()
}

/// Checked sums of money (minor units): an overflow is an error, never a crash.
enum Money {
    /// Reads amounts written in major units in a contract, within the contract language's limit.
    struct Reader {
        let currency: Currency

        func amount(_ map: YAMLMapping, _ key: String) throws -> Int64? {
            guard let text = try map.string(key) else { return nil }
            guard let value = currency.minorUnits(of: text) else {
                throw map.fail(key, "expected an amount in \(currency.code) with at most \(currency.minorUnits) decimals (like \(currency.format(2500))), found \(text)")
            }
            guard value <= PayoutTerms.maximumAmount else {
                throw map.fail(key, "\(text) \(currency.code) is more than a contract may state: at most \(currency.format(PayoutTerms.maximumAmount)) \(currency.code) (10^10 − 1 minor units, so that no participant or trial total can overflow)")
            }
            return value
        }
    }

    static func add(_ a: Int64, _ b: Int64, _ what: @autoclosure () -> String) throws -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw ContractError.overflow(what()) }
        return sum
    }
}
