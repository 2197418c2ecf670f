import Core
import Foundation
import Testing

@testable import CreateBuyOrder

/// The pure decision of a batch, for orders that name quotes.
@Suite struct OrderBatchQuoteTests {
    static let quoteID = UUID()
    static let market = Price(
        currency: .usd, rate: try! ExchangeRate(parsing: "50000"), source: "coinbase",
        quotedAtText: "2026-12-01T16:00:00.000Z", quotedAt: Date())

    static func quote(client: String = "acme", currency: Currency = .usd, live: Bool = true, used: Bool = false) -> HeldQuote {
        HeldQuote(
            id: quoteID, clientID: client, currency: currency, rate: try! ExchangeRate(parsing: "48478.88"),
            source: "coinbase", rateQuotedAt: "2026-12-01T15:59:59.000000Z", expiresAt: "2026-12-01T16:00:30.000000Z",
            isLive: live, isUsed: used)
    }

    static func request(key: UUID = UUID(), currency: Currency = .usd, quote: UUID? = quoteID) -> OrderRequest {
        OrderRequest(
            clientID: "acme", idempotencyKey: key, currency: currency, amount: try! FiatAmount(parsing: "123.45"), quoteID: quote)
    }

    static func decide(_ requests: [OrderRequest], quote: HeldQuote?, limit: String = "100") -> [OrderBatch.Decision] {
        OrderBatch.decide(
            requests.map { ($0, market) }, existing: [:], quotes: quote.map { [$0.id: $0] } ?? [:], total: .zero,
            limit: BTCAmount(parsing: limit)!)
    }

    @Test func takesTheQuotesRateAndSourceNotTheMarketPrice() throws {
        guard case .create(let order) = try #require(Self.decide([Self.request()], quote: Self.quote()).first) else {
            Issue.record("not created")
            return
        }
        #expect(order.rate.description == "48478.88")
        #expect(order.btcAmount.description == "0.00254647")
        #expect(order.rateQuotedAt == "2026-12-01T15:59:59.000000Z")
    }

    @Test func aQuoteMakesOneOrderInABatchAndNoneOnceUsed() {
        let decisions = Self.decide([Self.request(), Self.request()], quote: Self.quote())
        guard case .create = decisions[0] else {
            Issue.record("the first was not created")
            return
        }
        #expect(decisions[1] == .quoteUsed)
        #expect(Self.decide([Self.request()], quote: Self.quote(used: true)) == [.quoteUsed])
    }

    @Test func refusesAnExpiredUnknownForeignOrOtherCurrencyQuote() {
        #expect(Self.decide([Self.request()], quote: Self.quote(live: false)) == [.quoteExpired(expiresAt: "2026-12-01T16:00:30.000000Z")])
        #expect(Self.decide([Self.request()], quote: nil) == [.quoteRefused(.unknown)])
        #expect(Self.decide([Self.request()], quote: Self.quote(client: "globex")) == [.quoteRefused(.unknown)])
        #expect(Self.decide([Self.request(currency: .eur)], quote: Self.quote()) == [.quoteRefused(.otherCurrency(.usd))])
    }

    @Test func aRefusedOrderLeavesTheQuoteForTheNext() {
        // The first would cross the limit; the quote stays unused for the second, which fits.
        let big = OrderRequest(
            clientID: "acme", idempotencyKey: UUID(), currency: .usd, amount: try! FiatAmount(parsing: "999999.00"),
            quoteID: Self.quoteID)
        let decisions = Self.decide([big, Self.request()], quote: Self.quote(), limit: "1")
        #expect(decisions[0] == .limitExceeded(available: BTCAmount(parsing: "1")!))
        guard case .create = decisions[1] else {
            Issue.record("the second was not created: \(decisions[1])")
            return
        }
    }

    @Test func aKeyReplaysItsOrderBeforeTheQuoteIsLookedAt() {
        let key = UUID()
        let decisions = Self.decide([Self.request(key: key), Self.request(key: key)], quote: Self.quote())
        #expect(decisions[1] == .replayNew(index: 0))
        // Another quote (or none) with the same key is another payload.
        let other = Self.decide([Self.request(key: key), Self.request(key: key, quote: nil)], quote: Self.quote())
        #expect(other[1] == .keyReused)
    }
}
