import Core
import Foundation
import Testing
import TestSupport

@testable import ReadModelSync

/// read-model-sync keeps every event of the exchange in the activity feed: once per event id, with its
/// type, client (none for the operator's limit changes) and time, and the body exactly as published.
@Suite struct ActivityProjectionTests {
    @Test func keepsEveryEventOnceExactlyAsPublished() async throws {
        let setup = try ProjectionTests.Setup.make()
        let broker = try setup.broker()
        let at = "2026-11-23T21:41:02.823904Z"
        let order = try ProjectionTests.storeOrder(in: setup.write)
        let client = AccessEvent.Client(id: "acme", createdAt: at, rateLimitPerS: "2.5", rateLimitBurst: 5, version: 2)
        let key = AccessEvent.Key(
            keyID: "k1", clientID: "acme", scopes: ["orders:read"], label: "laptop", createdAt: at, revokedAt: nil,
            secretSHA256: String(repeating: "ab", count: 32))
        let events: [(routingKey: String, body: String)] = [
            (BuyOrderCreatedEvent.routingKey, order),
            ("client.rate_limit_changed", AccessEvent(type: .clientRateLimitChanged, occurredAt: at, clientID: "acme", client: client).json),
            ("api_key.created", AccessEvent(type: .apiKeyCreated, occurredAt: at, clientID: "acme", apiKey: key).json),
            (
                "limit.changed",
                AccessEvent(
                    type: .limitChanged, occurredAt: at, clientID: nil,
                    limit: .init(limitBTC: "50", previousLimitBTC: "100", totalBTC: "1.5")
                ).json
            ),
        ]
        // Each twice, as a redelivery would bring it.
        for _ in 0..<2 {
            for event in events {
                try broker.publish(
                    AMQPMessage(
                        exchange: setup.topology.exchange, routingKey: event.routingKey, body: Array(event.body.utf8),
                        messageID: UUID().uuidString))
            }
        }
        try await setup.withReadModelSync { _ in
            try await expectEventually(within: .seconds(30)) { try Self.count(setup.read) == 4 && (try setup.readCount()) == 1 }
            // The duplicates arrive too, and change nothing.
            try await Task.sleep(for: .seconds(1))
        }
        let rows = try setup.read.connect().query(
            """
            SELECT event_id::text AS event_id, type, client_id, body,
                   \(unsafeSQL: BuyOrderView.createdAtSQL("occurred_at")) AS occurred_at
            FROM activity ORDER BY type
            """)
        #expect(rows.count == 4)
        for row in rows {
            let body = try row.text("body")
            #expect(events.contains { $0.body == body }, "stored body differs from every published one: \(body)")
            let published = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(try row.text("event_id") == (published?["event_id"] as? String)?.lowercased())
            #expect(try row.text("type") == published?["type"] as? String)
            #expect(try row.text("occurred_at") == published?["occurred_at"] as? String)
        }
        let clients = Dictionary(uniqueKeysWithValues: try rows.map { (try $0.text("type"), $0["client_id"]) })
        #expect(clients["buy_order.created"] == .some("default"))
        #expect(clients["api_key.created"] == .some("acme"))
        #expect(clients["limit.changed"] == .some(nil))
        #expect(try setup.deadLetterCount() == 0)
    }

    static func count(_ read: TestDatabase) throws -> Int {
        Int(try read.connect().query("SELECT count(*) AS n FROM activity").first?["n"] ?? "") ?? -1
    }
}
