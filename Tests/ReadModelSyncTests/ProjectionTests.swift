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
        var amqp: AMQPSettings

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

        /// Runs read-model-sync while `body` runs; quick retries, so the tests need not wait long.
        func withReadModelSync(
            sweepingEvery sweep: Duration = .seconds(30), _ body: @Sendable (any TestClientProtocol) async throws -> Void
        ) async throws {
            var settings = ReadModelSyncSettings(
                server: HTTPServerSettings(port: 8780), readDatabase: read.settings(), amqp: amqp)
            settings.topology = topology
            settings.projection.backoff = Backoff(initial: .milliseconds(100), maximum: .milliseconds(500))
            settings.projection.deadLetterSweepInterval = sweep
            let app = try await buildReadModelSync(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
            try await app.test(.router, body)
        }

        func readCount() throws -> Int {
            Int(try read.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] ?? "") ?? -1
        }

        func admin() throws -> ReadModelAdmin {
            ReadModelAdmin(write: try write.connect(), read: try read.connect())
        }

        func deadLetterCount() throws -> Int { try broker().messageCount(queue: topology.deadLetterQueue) }
    }

    static func metrics(_ client: any TestClientProtocol) async throws -> MetricsReading {
        MetricsReading(text: String(buffer: try await client.execute(uri: "/metrics", method: .get).body))
    }

    static func ready(_ client: any TestClientProtocol) async throws -> (status: HTTPResponse.Status, body: String) {
        let response = try await client.execute(uri: "/ready", method: .get)
        return (response.status, String(buffer: response.body))
    }

    /// Makes the read model raise `sqlState` on every insert into buy_order (or only for orders of
    /// `amount`), as a database that refuses writes, is full, times out or waits for a lock would.
    static func refuseWrites(_ read: TestDatabase, sqlState: String, amount: String? = nil) throws {
        let condition = amount.map { "NEW.currency_amount = \($0)" } ?? "true"
        try read.connect().execute(
            script: """
                CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF \(condition) THEN RAISE EXCEPTION 'refused for a test' USING ERRCODE = '\(sqlState)'; END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_writes BEFORE INSERT ON buy_order FOR EACH ROW EXECUTE FUNCTION refuse_writes();
                """)
    }

    static func acceptWrites(_ read: TestDatabase) throws {
        try read.connect().execute(script: "DROP TRIGGER refuse_writes ON buy_order; DROP FUNCTION refuse_writes();")
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
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 2 }
            try await expectEventually(within: .seconds(30)) { try await client.execute(uri: "/ready", method: .get).status == .ok }
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
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 1 }
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
            try await expectEventually(within: .seconds(30)) {
                (try? setup.broker().messageCount(queue: setup.topology.deadLetterQueue)) == 1
            }
        }
        #expect(try setup.readCount() == 0)
    }

    @Test(arguments: ["25006", "53100", "53200", "58030", "57014", "55P03"])
    func holdsEveryEventWhileTheReadModelRefusesWritesAndAppliesThemAfter(sqlState: String) async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        try Self.refuseWrites(setup.read, sqlState: sqlState)
        for _ in 0..<20 { try setup.publish(try Self.storeOrder(in: setup.write), on: broker) }
        try await setup.withReadModelSync { client in
            try await expectEventually(within: .seconds(30)) {
                let (status, body) = try await Self.ready(client)
                return status == .serviceUnavailable && body.contains("holding 20 events") && body.contains("SQLSTATE \(sqlState)")
            }
            // Held for several retries: nothing is dead-lettered, nothing spends the delivery limit.
            try await expectEventually(within: .seconds(30)) { try await Self.metrics(client).value("projection_holds_total") ?? 0 >= 5 }
            #expect(try setup.deadLetterCount() == 0)
            #expect(try setup.readCount() == 0)
            try Self.acceptWrites(setup.read)
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 20 }
            try await expectEventually(within: .seconds(30)) { try await Self.ready(client).status == .ok }
            let metrics = try await Self.metrics(client)
            #expect(metrics.value("events_dead_lettered_total") == 0)
            #expect(metrics.value("events_applied_total") == 20)
            #expect(metrics.value("projection_held_events") == 0)
        }
        #expect(try setup.deadLetterCount() == 0)
        #expect(try setup.admin().verify() == nil)
    }

    @Test func deadLettersOnlyTheEventWhoseDataTheReadModelRefuses() async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        try setup.read.connect().query("ALTER TABLE buy_order ADD CONSTRAINT no_13_13 CHECK (currency_amount <> 13.13)")
        for amount in ["1.00", "13.13", "2.00", "3.00"] {
            try setup.publish(try Self.storeOrder(in: setup.write, amount: amount), on: broker)
        }
        try await setup.withReadModelSync { client in
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 3 && (try setup.deadLetterCount()) == 1 }
            // Counted once the broker confirmed the dead letter, which may come a moment after it is queued.
            try await expectEventually(within: .seconds(10)) {
                try await Self.metrics(client).value("events_dead_lettered_total") == 1
            }
        }
        let dead = try #require(try broker.get(queue: setup.topology.deadLetterQueue))
        #expect(try BuyOrderCreatedEvent(json: Data(dead.body)).order.currencyAmount.description == "13.13")
        guard case .string(let reason)? = dead.headers[AMQPMessage.deathReasonHeader] else {
            Issue.record("no \(AMQPMessage.deathReasonHeader) header")
            return
        }
        #expect(reason.contains("SQLSTATE 23514"))
    }

    @Test func anEventThatFailsAloneWhileItsNeighboursApplyIsDeadLettered() async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        try Self.refuseWrites(setup.read, sqlState: "P0001", amount: "13.13")
        // Published before read-model-sync starts, so they arrive in one batch.
        for amount in ["1.00", "2.00", "13.13", "3.00"] {
            try setup.publish(try Self.storeOrder(in: setup.write, amount: amount), on: broker)
        }
        try await setup.withReadModelSync { _ in
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 3 && (try setup.deadLetterCount()) == 1 }
        }
        let dead = try #require(try broker.get(queue: setup.topology.deadLetterQueue))
        #expect(dead.headers[AMQPMessage.deathReasonHeader].map { "\($0)".contains("failed alone") } == true)
    }

    @Test func sweepsValidEventsBackFromTheDeadLetterQueueAndFlagsTheRest() async throws {
        let setup = try Setup.make()
        let broker = try setup.broker()
        // As the broker dead-letters after the delivery limit: straight through the dead-letter exchange.
        for _ in 0..<3 {
            try broker.publish(
                AMQPMessage(
                    exchange: setup.topology.deadLetterExchange, routingKey: setup.topology.routingKey,
                    body: Array(try Self.storeOrder(in: setup.write).utf8), messageID: UUID().uuidString))
        }
        try broker.publish(
            AMQPMessage(
                exchange: setup.topology.deadLetterExchange, routingKey: setup.topology.routingKey, body: Array("not json".utf8),
                messageID: "poison-1", headers: [AMQPMessage.deathReasonHeader: "not JSON"]))
        try await setup.withReadModelSync(sweepingEvery: .milliseconds(500)) { client in
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 3 }
            try await expectEventually(within: .seconds(30)) {
                let (status, body) = try await Self.ready(client)
                return status == .ok && body.contains(#""name":"dead_letters","status":"degraded""#) && body.contains("1 messages parked")
            }
            let metrics = try await Self.metrics(client)
            #expect(metrics.value("events_recovered_total") == 3)
            #expect(metrics.value("dead_letters_parked") == 1)
        }
        #expect(try setup.admin().verify() == nil)
        let parked = try #require(try broker.get(queue: setup.topology.deadLetterQueue))
        #expect(parked.messageID == "poison-1")
        #expect(try broker.get(queue: setup.topology.deadLetterQueue) == nil)
    }

    @Test func keepsItsBrokerConnectionsWhileIdle() async throws {
        let name = "read-model-sync-\(UUID().uuidString.prefix(8))"
        var configured = try Setup.make()
        configured.amqp.heartbeat = .seconds(1)
        configured.amqp.connectionName = name
        let setup = configured
        let control = try RabbitMQControl.shared()
        try await setup.withReadModelSync { client in
            try await expectEventually(within: .seconds(30)) { try await Self.ready(client).status == .ok }
            let before = try await onOwnThread { try control.connections(mentioning: name).sorted() }
            #expect(before.count == 2)
            // Idle for several heartbeats: the consumer waits on its connection, the dead-letter one is serviced.
            try await Task.sleep(for: .seconds(5))
            #expect(try await onOwnThread { try control.connections(mentioning: name).sorted() } == before)
            let broker = try setup.broker()
            try setup.publish(try Self.storeOrder(in: setup.write), on: broker)
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 1 }
            let metrics = try await Self.metrics(client)
            #expect(metrics.value("amqp_reconnects_total", #"session="projection""#) == 0)
            #expect(metrics.value("amqp_reconnects_total", #"session="dead-letters""#) == 0)
            #expect(metrics.value("amqp_connected", #"session="dead-letters""#) == 1)
        }
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
