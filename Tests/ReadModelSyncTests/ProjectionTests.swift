import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import ReadModelSync

/// read-model-sync against a real RabbitMQ and PostgreSQL, each test on its own queues and databases.
@Suite struct ProjectionTests {
    struct Setup: Sendable {
        let write: TestDatabase
        let read: TestDatabase
        let topology: AMQPTopology
        let amqp: AMQPSettings

        static func make() throws -> Setup {
            let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
            return Setup(
                write: try TestDatabase.create(.writeModel), read: try TestDatabase.create(.readModel),
                topology: AMQPTopology(
                    exchange: "\(name).buy_orders", queue: "\(name).read_model_sync",
                    deadLetterExchange: "\(name).dead_letter", deadLetterQueue: "\(name).read_model_sync.dead_letter",
                    deliveryLimit: 3),
                amqp: AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL())))
        }

        /// A connection with the topology declared, for publishing test messages and reading the DLQ.
        func broker() throws -> AMQPConnection {
            let connection = try AMQPConnection(settings: amqp)
            try connection.declare(topology)
            return connection
        }

        func publish(_ body: String, on broker: AMQPConnection) throws {
            try broker.publish(
                AMQPMessage(exchange: topology.exchange, routingKey: topology.routingKey, body: Array(body.utf8),
                            messageID: UUID().uuidString))
        }

        /// Runs read-model-sync while `body` runs.
        func withReadModelSync(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
            var settings = ReadModelSyncSettings(
                server: HTTPServerSettings(port: 8780), readDatabase: read.settings(), amqp: amqp)
            settings.topology = topology
            let app = try await buildReadModelSync(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
            try await app.test(.router, body)
        }

        func readCount() throws -> Int {
            Int(try read.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] ?? "") ?? -1
        }

        func admin() throws -> ReadModelAdmin {
            ReadModelAdmin(write: try write.connect(), read: try read.connect())
        }
    }

    /// An event for an order stored in `write` (so verify can compare), as the write side publishes it.
    static func storeOrder(in database: TestDatabase, amount: String = "100.00") throws -> String {
        let connection = try database.connect()
        let row = try connection.query(
            """
            INSERT INTO buy_order AS o (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
            VALUES (gen_random_uuid(), 'default', 'USD', \(amount)::numeric, 48478.88, 0.00206276, 'coinbase', now())
            RETURNING \(unsafeSQL: StoredBuyOrder.columns)
            """
        ).first!
        return BuyOrderCreatedEvent(order: try StoredBuyOrder(row: row)).json
    }

    @Test func appliesEventsAndADuplicateYieldsOneRow() async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        let first = try Self.storeOrder(in: setup.write)
        let second = try Self.storeOrder(in: setup.write, amount: "5.00")
        try setup.publish(first, on: broker)
        try setup.publish(first, on: broker)
        try setup.publish(second, on: broker)
        try await setup.withReadModelSync { client in
            try await expectEventually { try setup.readCount() == 2 }
            try await expectEventually { try await client.execute(uri: "/ready", method: .get).status == .ok }
        }
        #expect(try setup.admin().verify() == nil)
    }

    @Test(arguments: [
        "not json", #"{"event_id":"x"}"#,
        #"{"event_id":"6f1e6a57-7d0e-4c54-9d53-0f0f1e6f1e6a","type":"buy_order.created","version":2,"occurred_at":"2026-11-23T00:00:00.000000Z","order":{}}"#,
    ])
    func deadLettersPoisonWhileGoodMessagesKeepFlowing(poison: String) async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        let good = try Self.storeOrder(in: setup.write)
        try setup.publish(poison, on: broker)
        try setup.publish(good, on: broker)
        try await setup.withReadModelSync { _ in
            try await expectEventually { try setup.readCount() == 1 }
        }
        let dead = try #require(try broker.get(queue: setup.topology.deadLetterQueue))
        #expect(String(decoding: dead.body, as: UTF8.self) == poison)
        #expect(dead.headers[AMQPMessage.deathReasonHeader] != nil)
    }

    @Test(arguments: [("amount", #""currency_amount":"1e3""#), ("currency", #""currency":"BTC""#)])
    func deadLettersAnEventWithABadField(field: String, replacement: String) async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        let event = try Self.storeOrder(in: setup.write)
        let pattern = field == "amount" ? #""currency_amount":"100.00""# : #""currency":"USD""#
        try setup.publish(event.replacingOccurrences(of: pattern, with: replacement), on: broker)
        try await setup.withReadModelSync { _ in
            try await expectEventually {
                (try? setup.broker().messageCount(queue: setup.topology.deadLetterQueue)) == 1
            }
        }
        #expect(try setup.readCount() == 0)
    }

    @Test func rebuildFromAnEmptyReadModelEqualsTheWriteModel() throws {
        let setup = try Setup.make()
        for amount in ["1.00", "2.50", "3.75"] { _ = try Self.storeOrder(in: setup.write, amount: amount) }
        let admin = try setup.admin()
        #expect(try admin.verify()?.contains("count: write 3, read 0") == true)
        #expect(try admin.rebuild(batchSize: 2) == 3)
        #expect(try admin.verify() == nil)
    }
}
