import Core
import Testing

@Suite struct BuyOrderViewTests {
    @Test func rendersKeysInContractOrder() {
        let view = BuyOrderView(
            id: "0b6f1c1e-6c1a-4c53-9b0e-3f8a5f7d2a10", createdAt: "2026-11-23T19:49:44.395736Z", currency: "USD",
            currencyAmount: "123.45", btcRate: "48478.88", btcAmount: "0.00254647")
        #expect(
            view.json
                == #"{"id":"0b6f1c1e-6c1a-4c53-9b0e-3f8a5f7d2a10","created_at":"2026-11-23T19:49:44.395736Z","#
                + #""currency":"USD","currency_amount":"123.45","btc_rate":"48478.88","btc_amount":"0.00254647"}"#)
    }

    @Test func escapesTextThatNeedsIt() {
        let view = BuyOrderView(
            id: "a\"b\\c\n", createdAt: "", currency: "\u{1}", currencyAmount: "", btcRate: "", btcAmount: "")
        #expect(view.json.hasPrefix(#"{"id":"a\"b\\c\n","created_at":"","currency":"\u0001","#))
    }

    @Test(arguments: [
        ("48478.88000000", "48478.88"), ("48478.12345678", "48478.12345678"), ("48478.10000000", "48478.10"),
        ("3.00000000", "3.00"), ("0.00000001", "0.00000001"), ("12.50000", "12.50"), ("7", "7"), ("7.5", "7.5"),
        ("100.12300000", "100.123"),
    ])
    func trimsRatesToAtLeastTwoDecimals(stored: String, shown: String) {
        #expect(BuyOrderView.trimmedRate(stored) == shown)
    }
}
