import Core
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import Testing

@testable import BTCPrice

@Suite struct PriceRouteTests {
    @Test(arguments: [("USD", "48478.88"), ("EUR", "44000.50"), ("GBP", "38000.00")])
    func servesCachedQuoteForEachCurrency(currency: String, rate: String) async throws {
        try await withBTCPrice { client in
            try await expectEventually { try await client.price(currency).status == .ok }
            let response = try await client.price(currency)
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.decode(PriceBody.self)
            #expect(body.currency == currency)
            #expect(body.rate == rate)
            #expect(body.source == "coinbase")
            #expect(try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(body.quoted_at) <= Date())
            #expect(body.quoted_at.hasSuffix("Z"))
        }
    }

    @Test(arguments: [
        "", "?currency=", "?currency=usd", "?currency=BTC", "?currency=USD&currency=EUR", "?currency=USD&currency=USD",
    ])
    func refusesMissingUnknownOrRepeatedCurrency(query: String) async throws {
        try await withBTCPrice(environment: ["PRICE_SOURCE": "simulated"]) { client in
            let response = try await client.execute(uri: "/v1/price\(query)", method: .get)
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.errors?.map(\.field) == ["currency"])
        }
    }

    @Test func followsUpstreamWhenPriceMoves() async throws {
        let fake = FakeCoinbase()
        try await withBTCPrice(upstream: fake) { client in
            try await expectEventually { try await client.price("USD").status == .ok }
            fake.answer(.usd, with: .quote("50000.12345678"))
            try await expectEventually { try await client.price("USD").decode(PriceBody.self).rate == "50000.12345678" }
        }
    }

    @Test func keepsServingLastGoodQuoteThroughShortFailures() async throws {
        let fake = FakeCoinbase()
        try await withBTCPrice(upstream: fake, environment: ["PRICE_MAX_AGE_S": "30"]) { client in
            try await expectEventually { try await client.price("USD").status == .ok }
            fake.answer(.usd, with: .body("upstream down", status: 500))
            let before = fake.requests(.usd)
            try await expectEventually { fake.requests(.usd) >= before + 3 }
            let response = try await client.price("USD")
            #expect(response.status == .ok)
            #expect(try response.decode(PriceBody.self).rate == "48478.88")
        }
    }

    @Test func refusesStaleQuoteWithRetryAfter() async throws {
        let fake = FakeCoinbase()
        try await withBTCPrice(upstream: fake, environment: ["PRICE_MAX_AGE_S": "2"]) { client in
            try await expectEventually { try await client.price("USD").status == .ok }
            fake.answer(.usd, with: .body("upstream down", status: 500))
            try await expectEventually { try await client.price("USD").status == .serviceUnavailable }
            let response = try await client.price("USD")
            #expect(response.headers[.retryAfter] == "1")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try response.decode(ProblemBody.self).status == 503)
            // The other currencies are still served (eventually: on a loaded machine a 2 s quote of
            // theirs can go stale for a moment too, between two polls).
            try await expectEventually { try await client.price("EUR").status == .ok }
            try await expectEventually {
                let ready = try await client.execute(uri: "/ready", method: .get)
                let report = try ready.decode(ReadyBody.self)
                return ready.status == .serviceUnavailable && report.status(of: "quote.USD") == "down"
                    && report.status(of: "quote.EUR") == "up" && report.status(of: "quote.GBP") == "up"
            }
        }
    }

    @Test func isReadyOnceEveryCurrencyHasFreshQuote() async throws {
        try await withBTCPrice { client in
            try await expectEventually { try await client.execute(uri: "/ready", method: .get).status == .ok }
            let report = try await client.execute(uri: "/ready", method: .get).decode(ReadyBody.self)
            #expect(report.checks.map(\.name) == ["quote.USD", "quote.EUR", "quote.GBP"])
        }
    }

    @Test func exportsQuoteAgeAndFailureMetrics() async throws {
        let fake = FakeCoinbase([.gbp: .body("nope", status: 503)])
        try await withBTCPrice(upstream: fake) { client in
            try await expectEventually { fake.requests(.gbp) >= 2 && fake.requests(.usd) >= 2 }
            try await expectEventually {
                let metrics = try await client.execute(uri: "/metrics", method: .get).text
                return metrics.contains(#"btc_price_quote_age_seconds{currency="USD"}"#)
                    && metrics.contains(#"btc_price_upstream_failures_total{currency="GBP",reason="status"}"#)
            }
        }
    }

    @Test func logsFailureOnceWhenItStartsAndOnceWhenItEnds() async throws {
        let output = LogOutput.capture()
        let logger = Logger(label: "btc-price") { _ in
            JSONLogHandler(service: "btc-price", level: .info, output: output)
        }
        let fake = FakeCoinbase([.gbp: .body("nope", status: 500)])
        try await withBTCPrice(upstream: fake, logger: logger) { client in
            try await expectEventually { fake.requests(.gbp) >= 5 }
            fake.answer(.gbp, with: .quote("38000.00"))
            try await expectEventually { try await client.price("GBP").status == .ok }
            try await expectEventually { Self.lines(output, "price source recovered", "GBP") == 1 }
        }
        #expect(Self.lines(output, "price source failing", "GBP") == 1)
        #expect(Self.lines(output, "price source recovered", "GBP") == 1)
        #expect(Self.lines(output, "price source failing", "USD") == 0)
    }

    static func lines(_ output: LogOutput, _ event: String, _ currency: String) -> Int {
        output.captured.filter {
            $0.contains(#""event":"\#(event)""#) && $0.contains(#""price.currency":"\#(currency)""#)
        }
        .count
    }
}
