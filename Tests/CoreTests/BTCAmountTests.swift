import Core
import Testing

@Suite struct BTCAmountTests {
    private func btc(_ amount: String, _ rate: String) throws -> String {
        BTCAmount(buying: try FiatAmount(parsing: amount), at: try ExchangeRate(parsing: rate)).description
    }

    @Test func matchesTheSpecificationsExamples() throws {
        #expect(try btc("123.45", "48478.88") == "0.00254647")
        #expect(try btc("0.01", "48478.88") == "0.00000021")
        #expect(try btc("1", "3") == "0.33333334")
    }

    @Test func doesNotBumpAResultExactlyOnAnEightDecimalBoundary() throws {
        #expect(try btc("1", "4") == "0.25000000")
        #expect(try btc("100", "50000") == "0.00200000")
        #expect(try btc("0.01", "1") == "0.01000000")
        #expect(try btc("1", "100000000") == "0.00000001")
    }

    @Test func roundsUpTheSmallestRemainder() throws {
        // 1 / 99999999.99 is just above 0.00000001.
        #expect(try btc("1", "99999999.99") == "0.00000002")
        #expect(try btc("0.01", "9999999999.99999999") == "0.00000001")
    }

    @Test(arguments: ["3", "3.1", "3.12", "3.123", "3.1234", "3.12345", "3.123456", "3.1234567", "3.12345678"])
    func handlesRatesWithZeroToEightDecimals(rate: String) throws {
        let amount = try FiatAmount(parsing: "1000")
        let exchangeRate = try ExchangeRate(parsing: rate)
        let result = BTCAmount(buying: amount, at: exchangeRate)
        // result·rate ≥ amount > (result − 1 satoshi)·rate, checked in integers scaled by 10¹⁶.
        let scaledAmount = Int128(amount.cents) * 100_000_000_000_000 
        #expect(result.satoshis * Int128(exchangeRate.units) >= scaledAmount)
        #expect((result.satoshis - 1) * Int128(exchangeRate.units) < scaledAmount)
    }

    @Test func handlesTheExtremesWithoutOverflow() throws {
        #expect(try btc("999999999.99", "0.01") == "99999999999.00000000")
        #expect(try btc("0.01", "9999999999.99999999") == "0.00000001")
        #expect(try btc("999999999.99", "48478.88") == "20627.53924988")
    }

    @Test func parsesAndRendersPostgresNumericText() {
        #expect(BTCAmount(parsing: "100.00000000")?.satoshis == 10_000_000_000)
        #expect(BTCAmount(parsing: "0.00254647")?.description == "0.00254647")
        #expect(BTCAmount(parsing: "1.5")?.description == "1.50000000")
        #expect(BTCAmount(parsing: "1e5") == nil)
        #expect(BTCAmount(parsing: "-1") == nil)
        #expect(BTCAmount(parsing: "0.123456789") == nil)
    }
}
