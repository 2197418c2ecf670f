import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct OutboxRelayTests {
    private static func topology() -> AMQPTopology {
        let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
        return AMQPTopology(
            exchange: "\(name).buy_orders", queue: "\(name).read_model_sync", deadLetterExchange: "\(name).dead_letter",
            deadLetterQueue: "\(name).read_model_sync.dead_letter")
    }

    @Test func publishesEachCommittedOrderOnceWithConfirmsAndMarksItSent() async throws {
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()))
        let topology = Self.topology()
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            var keys: [UUID] = []
            for amount in ["1.00", "2.00", "3.00"] {
                let key = UUID()
                keys.append(key)
                #expect(try await WritePath.put(client, body: WritePath.body(amount: amount, key: key)).status == .ok)
            }
            try await expectEventually {
                try path.database.connect().query("SELECT count(*) AS n FROM outbox").first?["n"] == "0"
            }
            let broker = try AMQPConnection(settings: amqp)
            var events: [BuyOrderCreatedEvent] = []
            while let delivery = try broker.get(queue: topology.queue) {
                let event = try BuyOrderCreatedEvent(json: Data(delivery.body))
                #expect(delivery.messageID == event.eventID.uuidString.lowercased())
                #expect(delivery.persistent)
                events.append(event)
                try broker.ack(delivery.tag)
            }
            #expect(events.map(\.order.currencyAmount.description) == ["1.00", "2.00", "3.00"])
            let stored = try path.database.connect().query(
                "SELECT \(unsafeSQL: StoredBuyOrder.columns) FROM buy_order o ORDER BY o.sequence")
            #expect(events.map(\.order) == (try stored.map(StoredBuyOrder.init(row:))))
            #expect(events.allSatisfy { $0.occurredAt == $0.order.createdAt })
        }
    }

    @Test func publishesRowsThatCarryTheirPayloadAsTheyAre() async throws {
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()))
        let topology = Self.topology()
        let payload = #"{"written":"before 0006_outbox_order_reference"}"#
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            try path.database.connect().query(
                """
                INSERT INTO outbox (event_id, client_id, routing_key, payload)
                VALUES (gen_random_uuid(), 'default', 'buy_order.created', \(payload)::json)
                """)
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            try await expectEventually {
                try path.database.connect().query("SELECT count(*) AS n FROM outbox").first?["n"] == "0"
            }
            let broker = try AMQPConnection(settings: amqp)
            let first = try #require(try broker.get(queue: topology.queue))
            #expect(String(decoding: first.body, as: UTF8.self) == payload)
            let second = try #require(try broker.get(queue: topology.queue))
            #expect(try BuyOrderCreatedEvent(json: Data(second.body)).order.currencyAmount.description == "123.45")
        }
    }

    @Test func acceptsOrdersWhileTheBrokerIsUnreachableAndKeepsTheirEvents() async throws {
        let unreachable = AMQPSettings(endpoint: AMQPEndpoint(host: "127.0.0.1", port: 9))
        try await WritePath.run(amqp: unreachable, topology: Self.topology()) { client, path in
            let first = try await WritePath.put(client, body: WritePath.body())
            let second = try await WritePath.put(client, body: WritePath.body())
            #expect(first.status == .ok && second.status == .ok)
            let unsent = try path.database.connect().query("SELECT count(*) AS n FROM outbox")
            #expect(unsent.first?["n"] == "2")
        }
    }
}
