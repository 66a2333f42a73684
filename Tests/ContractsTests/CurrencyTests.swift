@testable import Contracts
import Testing

@Suite("ISO 4217 money in minor units")
struct CurrencyTests {
    @Test func amountsAreParsedExactlyInMinorUnits() throws {
        let eur = try #require(Currency(code: "EUR"))
        #expect(eur.minorUnits(of: "25") == 2500)
        #expect(eur.minorUnits(of: "25.5") == 2550)
        #expect(eur.minorUnits(of: "25.00") == 2500)
        #expect(eur.minorUnits(of: "0.01") == 1)
        #expect(eur.minorUnits(of: "19.990") == 1999, "trailing zeros beyond the minor unit are not precision")
        for bad in ["25.001", "-5", "1e3", "25.", ".5", "2 5", "25,00", "", "0x10", "١٢"] {
            #expect(eur.minorUnits(of: bad) == nil, "\(bad)")
        }
        let jpy = try #require(Currency(code: "JPY"))
        #expect(jpy.minorUnits == 0 && jpy.minorUnits(of: "2500") == 2500 && jpy.minorUnits(of: "25.5") == nil)
        let kwd = try #require(Currency(code: "KWD"))
        #expect(kwd.minorUnits(of: "1.250") == 1250 && kwd.format(1250) == "1.250")
    }

    @Test func formattingIsFixed() throws {
        let eur = try #require(Currency(code: "EUR"))
        #expect(eur.format(2500) == "25.00" && eur.format(5) == "0.05" && eur.format(0) == "0.00" && eur.format(-150) == "-1.50")
        #expect(Currency(code: "JPY")!.format(2500) == "2500")
    }

    @Test func unknownCodesAreRefused() {
        for code in ["EURO", "eur", "XAU", "XXX", "", "ZWL1"] { #expect(Currency(code: code) == nil, "\(code)") }
    }
}
