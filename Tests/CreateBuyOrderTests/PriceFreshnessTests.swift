import Core
import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct PriceFreshnessTests {
    @Test func refusesWithRetryAfterAndStoresNothingOnceThePriceIsStale() async throws {
        try await WritePath.run(priceMaxAge: 2) { client, path in
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            path.coinbase.answer(.usd, with: .body("upstream down", status: 500))
            // Two more polls: an answer already on its way when the upstream broke has been taken in,
            // so every good USD quote anywhere was fetched before `lastGoodQuote`.
            let polls = path.coinbase.requests(.usd)
            try await expectEventually { path.coinbase.requests(.usd) >= polls + 2 }
            let lastGoodQuote = ContinuousClock.now

            // Until the last good quote ages out, orders are still priced with it. (A loaded machine can
            // refuse one earlier, while create-buy-order's copy of the quote lags behind btc-price's.)
            let accepted = Counter()
            let refused = try await eventually(within: .seconds(10)) {
                let status = try await WritePath.put(client, body: WritePath.body()).status
                if status == .ok { accepted.add() }
                return status == .serviceUnavailable && ContinuousClock.now > lastGoodQuote + .seconds(2)
            }
            #expect(refused)
            let response = try await WritePath.put(client, body: WritePath.body())
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            #expect(try path.count("buy_order") == 1 + accepted.value)
            // Other currencies still have fresh quotes.
            #expect(try await WritePath.put(client, body: WritePath.body(currency: "EUR")).status == .ok)
        }
    }

    @Test func neverPricesAnOrderWithGarbageFromUpstream() async throws {
        let coinbase = FakeCoinbase([.gbp: .body(#"{"data":{"amount":"-5","base":"BTC","currency":"GBP"}}"#)])
        try await WritePath.run(coinbase: coinbase, waitForReady: false) { client, path in
            let usdWorks = try await eventually(within: .seconds(10)) {
                try await WritePath.put(client, body: WritePath.body(currency: "USD")).status == .ok
            }
            #expect(usdWorks)
            let response = try await WritePath.put(client, body: WritePath.body(currency: "GBP"))
            #expect(response.status == .serviceUnavailable)
            #expect(try await client.execute(uri: "/ready", method: .get).status == .serviceUnavailable)
            #expect(try path.count("buy_order") == 1)
        }
    }
}

/// Counts from inside a `@Sendable` closure.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
