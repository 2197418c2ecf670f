import Core
import Testing

@Suite struct FiatAmountTests {
    @Test(arguments: [("123.45", "123.45"), ("7", "7.00"), ("0.5", "0.50"), ("0.01", "0.01"), ("999999999.99", "999999999.99"), ("0012.30", "12.30")])
    func parsesPlainDecimals(text: String, rendered: String) throws {
        #expect(try FiatAmount(parsing: text).description == rendered)
    }

    @Test(arguments: [
        ("1.234", FiatAmount.ParsingError.tooManyDecimals),
        ("1e3", .notPlainDecimal), (" 12", .notPlainDecimal), ("12 ", .notPlainDecimal), ("NaN", .notPlainDecimal),
        ("Infinity", .notPlainDecimal), ("-0", .notPositive), ("-1.00", .notPositive), ("-12.345", .notPositive),
        ("--1", .notPlainDecimal), ("-", .notPlainDecimal), ("- 1", .notPlainDecimal), ("+1", .notPlainDecimal),
        ("", .notPlainDecimal), (".5", .notPlainDecimal), ("5.", .notPlainDecimal), ("1,000", .notPlainDecimal),
        ("0x10", .notPlainDecimal), ("１２", .notPlainDecimal), ("0", .notPositive), ("0.00", .notPositive),
        ("1000000000", .tooLarge), ("1000000000.00", .tooLarge), ("99999999999999999999999", .tooLarge),
    ])
    func refusesAnythingElse(text: String, error: FiatAmount.ParsingError) {
        #expect(throws: error) { try FiatAmount(parsing: text) }
    }
}
