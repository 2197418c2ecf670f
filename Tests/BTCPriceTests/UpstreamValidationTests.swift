import Core
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@testable import BTCPrice

/// Every kind of bad upstream answer is refused, never cached, and never crashes the service.
@Suite struct UpstreamValidationTests {
    static func usd(_ amount: String, base: String = "BTC", currency: String = "USD") -> FakeCoinbase.Answer {
        .body(FakeCoinbase.quoteJSON(amount: amount, base: base, currency: currency))
    }

    static let badAnswers: [FakeCoinbase.Answer] = [
        .body("<html>not json</html>"),
        .body(""),
        .body(#"{"data":{}}"#),
        .body(#"{"data":{"amount":"48000.00","base":"BTC"}}"#),
        .body(#"{"data":{"amount":48000.5,"base":"BTC","currency":"USD"}}"#),
        .body(#"{"data":{"amount":null,"base":"BTC","currency":"USD"}}"#),
        .body(#"[1,2,3]"#),
        usd("48000.00", base: "ETH"),
        usd("48000.00", currency: "EUR"),
        usd("-48000.00"),
        usd("+48000.00"),
        usd("0"),
        usd("0.00"),
        usd("1e5"),
        usd("4.8E4"),
        usd(" 48000.00"),
        usd("48,000.00"),
        usd("48000.123456789"),
        usd("10000000000"),
        usd("99999999999999999999999"),
        usd("0.009"),
        usd("NaN"),
        .oversized,
        .hang,
        .body(FakeCoinbase.quoteJSON(amount: "48000.00", currency: "USD"), status: 500),
        .body(FakeCoinbase.quoteJSON(amount: "48000.00", currency: "USD"), status: 301),
    ]

    @Test(arguments: badAnswers)
    func refusesAndNeverCachesBadAnswer(answer: FakeCoinbase.Answer) async throws {
        let fake = FakeCoinbase([.usd: answer])
        let timeout: Duration = answer == .hang ? .milliseconds(500) : .seconds(2)
        try await withBTCPrice(upstream: fake, upstreamTimeout: timeout) { client in
            try await expectEventually { try await client.price("EUR").status == .ok }
            try await expectEventually { fake.requests(.usd) >= 2 }
            let response = try await client.price("USD")
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            let ready = try await client.execute(uri: "/ready", method: .get).decode(ReadyBody.self)
            #expect(ready.status(of: "quote.USD") == "down")
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }

    @Test(
        arguments: [
            (#"{"data":{"amount":"48478.88","base":"BTC","currency":"USD"}}"#, nil),
            ("not json", "malformed"),
            (#"{"data":{"base":"BTC","currency":"USD"}}"#, "malformed"),
            (#"{"data":{"amount":1,"base":"BTC","currency":"USD"}}"#, "malformed"),
            (#"{"data":{"amount":"1.00","base":"XBT","currency":"USD"}}"#, "wrong_base"),
            (#"{"data":{"amount":"1.00","base":"BTC","currency":"GBP"}}"#, "wrong_currency"),
            (#"{"data":{"amount":"1e5","base":"BTC","currency":"USD"}}"#, "invalid_amount"),
            (#"{"data":{"amount":"0.001","base":"BTC","currency":"USD"}}"#, "invalid_amount"),
        ] as [(String, String?)])
    func classifiesCoinbaseBody(body: String, failure: String?) throws {
        do {
            let rate = try CoinbaseQuote.rate(from: Array(body.utf8), for: .usd)
            #expect(failure == nil)
            #expect(rate.description == "48478.88")
        } catch {
            #expect(error.kind == failure)
        }
    }
}
