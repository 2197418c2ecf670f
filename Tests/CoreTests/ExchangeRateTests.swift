import Core
import Foundation
import Testing

@Suite struct ExchangeRateTests {
    @Test(
        arguments: [
            ("48478.88", 4_847_888_000_000, "48478.88"),
            ("3", 300_000_000, "3.00"),
            ("3.0", 300_000_000, "3.00"),
            ("0.12345678", 12_345_678, "0.12345678"),
            ("0.01", 1_000_000, "0.01"),
            ("48000.10000000", 4_800_010_000_000, "48000.10"),
            ("007.5", 750_000_000, "7.50"),
            ("9999999999.99999999", 999_999_999_999_999_999, "9999999999.99999999"),
        ] as [(String, Int64, String)])
    func parsesPlainDecimalExactly(text: String, units: Int64, rendered: String) throws {
        let rate = try ExchangeRate(parsing: text)
        #expect(rate.units == units)
        #expect(rate.description == rendered)
    }

    @Test(arguments: [
        "", ".", "1.", ".5", "-1.00", "+1.00", "1e5", "1E5", " 1.00", "1.00 ", "1,000.00", "1.2.3", "NaN", "١٢", "0x10",
    ])
    func refusesWhatIsNotPlainDecimal(text: String) {
        #expect(throws: ExchangeRate.ParsingError.notPlainDecimal) { try ExchangeRate(parsing: text) }
    }

    @Test func refusesMoreThanEightDecimals() {
        #expect(throws: ExchangeRate.ParsingError.tooManyDecimals) { try ExchangeRate(parsing: "1.123456789") }
    }

    @Test(arguments: ["0", "0.00", "0.00999999", "10000000000", "10000000000.00000001", "99999999999999999999999999"])
    func refusesRatesOutsideValidRange(text: String) {
        #expect(throws: ExchangeRate.ParsingError.outOfRange) { try ExchangeRate(parsing: text) }
    }

    @Test func checksUnitsOnConstruction() {
        #expect(ExchangeRate(units: 0) == nil)
        #expect(ExchangeRate(units: -1) == nil)
        #expect(ExchangeRate(units: 999_999) == nil)
        #expect(ExchangeRate(units: 1_000_000)?.description == "0.01")
        #expect(ExchangeRate(units: 1_000_000_000_000_000_000) == nil)
    }

    @Test func travelsAsJSONStringOnly() throws {
        let rate = try JSONDecoder().decode(ExchangeRate.self, from: Data(#""48478.88""#.utf8))
        #expect(rate.units == 4_847_888_000_000)
        #expect(String(decoding: try JSONEncoder().encode(rate), as: UTF8.self) == #""48478.88""#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ExchangeRate.self, from: Data("48478.88".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ExchangeRate.self, from: Data(#""1e5""#.utf8)) }
    }

    @Test func ordersByValue() throws {
        #expect(try ExchangeRate(parsing: "0.5") < ExchangeRate(parsing: "3"))
    }
}

@Suite struct CurrencyTests {
    @Test func parsesExactUpperCaseCodes() {
        #expect(Currency(code: "USD") == .usd)
        #expect(Currency(code: "EUR") == .eur)
        #expect(Currency(code: "GBP") == .gbp)
        #expect(Currency(code: "usd") == nil)
        #expect(Currency(code: " USD") == nil)
        #expect(Currency(code: "BTC") == nil)
        #expect(Currency.codes == "USD, EUR, GBP")
    }
}
