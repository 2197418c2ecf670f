import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// `POST /v1/quotes` and orders that name a quote.
@Suite struct QuoteTests {
    static func quote(_ client: any TestClientProtocol, currency: String = "USD") async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/quotes", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"currency":"\#(currency)"}"#))
    }

    static func order(
        _ client: any TestClientProtocol, quote: String, currency: String = "USD", amount: String = "123.45",
        key: UUID = UUID()
    ) async throws -> TestResponse {
        let body = #"{"currency":"\#(currency)","amount":"\#(amount)","idempotence_key":"\#(key.lowercaseText)","quote_id":"\#(quote)"}"#
        return try await WritePath.put(client, body: body)
    }

    static func id(_ response: TestResponse) throws -> String { try #require(response.json["quote_id"] as? String) }

    @Test func aQuoteHoldsItsRateWhileTheMarketMoves() async throws {
        let coinbase = FakeCoinbase()
        try await WritePath.run(coinbase: coinbase) { client, path in
            let quote = try await Self.quote(client)
            #expect(quote.status == .created, "\(quote.text)")
            #expect(quote.headers[.contentType] == "application/json")
            let json = quote.json
            #expect(json["currency"] as? String == "USD")
            #expect(json["rate"] as? String == "48478.88")
            #expect(json["source"] as? String == "coinbase")
            let quotedAt = try #require(RFC3339Timestamp(parsing: (json["quoted_at"] as? String ?? "")[...]))
            let expiresAt = try #require(RFC3339Timestamp(parsing: (json["expires_at"] as? String ?? "")[...]))
            #expect(expiresAt.microseconds - quotedAt.microseconds == 30_000_000)

            coinbase.answer(.usd, with: .quote("50000.00"))
            try await expectEventually {
                let market = try await WritePath.put(client, body: WritePath.body(amount: "1.00"))
                return (market.json["buy_order"] as? [String: String])?["btc_rate"] == "50000.00"
            }
            let order = try await Self.order(client, quote: try Self.id(quote))
            #expect(order.status == .ok, "\(order.text)")
            let stored = try #require(order.json["buy_order"] as? [String: String])
            #expect(stored["btc_rate"] == "48478.88")
            #expect(stored["btc_amount"] == "0.00254647")
            #expect(stored["quote_id"] == (try Self.id(quote)))
            let row = try #require(
                try path.database.connect().query(
                    "SELECT quote_id::text, rate_source FROM buy_order WHERE id = \(stored["id"]!)::uuid"
                ).first)
            #expect(row["quote_id"] == (try Self.id(quote)))
            #expect(row["rate_source"] == "coinbase")
        }
    }

    @Test func aQuoteMakesOneOrderAndItsKeyReplaysIt() async throws {
        try await WritePath.run { client, path in
            let quote = try Self.id(try await Self.quote(client))
            let key = UUID()
            let first = try await Self.order(client, quote: quote, key: key)
            #expect(first.status == .ok)
            let replay = try await Self.order(client, quote: quote, key: key)
            #expect(replay.text == first.text && replay.headers[.idempotentReplayed] == "true")
            let second = try await Self.order(client, quote: quote)
            #expect(second.status == .conflict)
            #expect(second.json["type"] as? String == "/problems/quote-used", "\(second.text)")
            // The same key with another quote (or none) is another payload.
            let other = try await WritePath.put(client, body: WritePath.body(key: key))
            #expect(other.json["type"] as? String == "/problems/idempotency-key-reused")
            #expect(try path.count("buy_order") == 1)
            #expect(try path.count("quote") == 1)
        }
    }

    /// Ten orders for one quote at once, spread over two instances on one database: exactly one is made.
    @Test func racingOrdersForOneQuoteMakeExactlyOne() async throws {
        let database = try TestDatabase.create(.writeModel)
        try await WritePath.run(mode: .live, database: database) { first, path in
            try await WritePath.run(mode: .live, database: database) { second, _ in
                let quote = try Self.id(try await Self.quote(first))
                let keys = (0..<10).map { _ in UUID() }
                let answers = try await withThrowingTaskGroup(of: (UUID, TestResponse).self) { group in
                    for (index, key) in keys.enumerated() {
                        group.addTask { (key, try await Self.order(index % 2 == 0 ? first : second, quote: quote, key: key)) }
                    }
                    return try await group.reduce(into: [(UUID, TestResponse)]()) { $0.append($1) }
                }
                let made = answers.filter { $0.1.status == .ok }
                #expect(made.count == 1, "\(answers.map { "\($0.1.status) \($0.1.text)" })")
                #expect(answers.filter { $0.1.json["type"] as? String == "/problems/quote-used" }.count == 9)
                #expect(try path.count("buy_order") == 1)
                let winner = try #require(made.first)
                let replay = try await Self.order(second, quote: quote, key: winner.0)
                #expect(replay.status == .ok && replay.text == winner.1.text)
            }
        }
    }

    @Test func anExpiredQuoteIsRefusedAndStoresNothing() async throws {
        try await WritePath.run(configure: { $0.quoteTTL = .seconds(1) }) { client, path in
            let quote = try await Self.quote(client)
            let id = try Self.id(quote)
            #expect(quote.json["expires_at"] != nil)
            try await expectEventually {
                try path.database.connect().query(
                    "SELECT 1 FROM quote WHERE id = \(id)::uuid AND expires_at < clock_timestamp()"
                ).count == 1
            }
            let order = try await Self.order(client, quote: id)
            #expect(order.status == .conflict)
            #expect(order.json["type"] as? String == "/problems/quote-expired", "\(order.text)")
            #expect(try path.count("buy_order") == 0)
            #expect(try path.count("idempotency_key") == 0)
        }
    }

    @Test func aQuoteOfAnotherCurrencyOrAnUnknownOneIsRefusedNamingQuoteID() async throws {
        try await WritePath.run { client, path in
            let quote = try Self.id(try await Self.quote(client, currency: "USD"))
            for (quoteID, currency) in [(quote, "EUR"), (UUID().lowercaseText, "USD")] {
                let order = try await Self.order(client, quote: quoteID, currency: currency)
                #expect(order.status == .unprocessableContent)
                #expect(order.problemFields == ["quote_id"], "\(order.text)")
            }
            let malformed = try await Self.order(client, quote: "nope")
            #expect(malformed.problemFields == ["quote_id"])
            #expect(try path.count("buy_order") == 0)
            // Still unused: it makes its order.
            #expect(try await Self.order(client, quote: quote).status == .ok)
        }
    }

    @Test func aQuoteIsAnEventInTheOutboxInItsTransaction() async throws {
        try await WritePath.run { client, path in
            let quote = try await Self.quote(client, currency: "GBP")
            let row = try #require(
                try path.database.connect().query("SELECT routing_key, client_id, payload::text FROM outbox").first)
            #expect(row["routing_key"] == "quote.created")
            #expect(row["client_id"] == "default")
            let event = try QuoteCreatedEvent(json: Data((row["payload"] ?? "").utf8))
            #expect(event.clientID == "default")
            #expect(event.quote.id.lowercaseText == (try Self.id(quote)))
            #expect(event.quote.rate.description == "38000.00")
            #expect(event.quote.expiresAt == quote.json["expires_at"] as? String)
            #expect(event.occurredAt == quote.json["quoted_at"] as? String)
        }
    }

    @Test func refusesABadQuoteRequestAndQuotesNothingWithoutAFreshPrice() async throws {
        let coinbase = FakeCoinbase()
        try await WritePath.run(priceMaxAge: 1, coinbase: coinbase) { client, path in
            let bad = try await client.execute(
                uri: "/v1/quotes", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"currency":"BTC","amount":"1"}"#))
            #expect(bad.status == .unprocessableContent)
            #expect(Set(bad.problemFields) == ["currency", "amount"])
            let text = try await client.execute(
                uri: "/v1/quotes", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "USD"))
            #expect(text.status == .unsupportedMediaType)
            coinbase.answer(.eur, with: .hang)
            try await expectEventually(within: .seconds(15)) {
                try await Self.quote(client, currency: "EUR").status == .serviceUnavailable
            }
            let made = try path.count("quote")
            let stale = try await Self.quote(client, currency: "EUR")
            #expect(stale.status == .serviceUnavailable && stale.headers[.retryAfter] != nil)
            #expect(stale.text.contains("no quote was made"))
            #expect(try path.count("quote") == made)
        }
    }
}
