import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import BuyOrdersAdmin

/// Quotes belong to the client whose key made them: through both create-buy-order instances, and
/// into the read model.
@Suite struct QuoteClientTests {
    static func quote(_ client: any TestClientProtocol, token: String, currency: String = "USD") async throws -> TestResponse {
        var headers = KeyedCluster.bearer(token)
        headers[.contentType] = "application/json"
        return try await client.execute(
            uri: "/v1/quotes", method: .post, headers: headers, body: ByteBuffer(string: #"{"currency":"\#(currency)"}"#))
    }

    static func order(_ client: any TestClientProtocol, token: String, quote: String) async throws -> TestResponse {
        var headers = KeyedCluster.bearer(token)
        headers[.contentType] = "application/json"
        let body = #"{"currency":"USD","amount":"25.00","idempotence_key":"\#(UUID().lowercaseText)","quote_id":"\#(quote)"}"#
        return try await client.execute(uri: "/buy_order", method: .put, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func anotherClientsQuoteIsRefusedNamingQuoteIDAndTheOwnersOrderCarriesIt() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("acme")
            try cluster.makeClient("globex")
            let acme = try cluster.makeKey(for: "acme")
            let globex = try cluster.makeKey(for: "globex")
            let reader = try cluster.makeKey(for: "acme", scopes: [.ordersRead])

            let quote = try await Self.quote(cluster.creates[0], token: acme)
            #expect(quote.status == .created, "\(quote.text)")
            #expect(quote.headers[.rateLimit] != nil)
            let id = try #require(quote.json["quote_id"] as? String)
            #expect(try await Self.quote(cluster.creates[0], token: reader).status == .forbidden)

            let foreign = try await Self.order(cluster.creates[1], token: globex, quote: id)
            #expect(foreign.status == .unprocessableContent)
            #expect(foreign.text.contains(#""field":"quote_id""#), "\(foreign.text)")
            #expect(try cluster.write.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] == "0")

            let own = try await Self.order(cluster.creates[1], token: acme, quote: id)
            #expect(own.status == .ok, "\(own.text)")
            let orderID = try #require((own.json["buy_order"] as? [String: Any])?["id"] as? String)
            #expect((own.json["buy_order"] as? [String: Any])?["btc_rate"] as? String == quote.json["rate"] as? String)
            // The event carries the quote id into the read model, and the owner's page shows it.
            try await cluster.awaitProjected(acme)
            try await expectEventually(within: .seconds(20)) {
                try cluster.read.connect().query(
                    "SELECT 1 FROM buy_order WHERE id = \(orderID)::uuid AND quote_id = \(id)::uuid"
                ).count == 1
            }
            let shown = try await cluster.get(cluster.fetches[0], "/v1/buy_orders/\(orderID)", headers: KeyedCluster.bearer(acme))
            #expect(shown.json["quote_id"] as? String == id, "\(shown.text)")
        }
    }
}
