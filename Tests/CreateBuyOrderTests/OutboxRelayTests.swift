import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceLifecycle
import Testing
import TestSupport

@testable import CreateBuyOrder

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
            try await expectEventually(within: .seconds(30)) {
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
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            // A row written before 0006_outbox_order_reference: the event itself, no order reference.
            let payload = try Self.storeOrders(1, in: path.database, outbox: false)[0].json
            try path.database.connect().query(
                """
                INSERT INTO outbox (event_id, client_id, routing_key, payload)
                VALUES (gen_random_uuid(), 'default', 'buy_order.created', \(payload)::json)
                """)
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }
            let broker = try AMQPConnection(settings: amqp)
            let first = try #require(try broker.get(queue: topology.queue))
            #expect(String(decoding: first.body, as: UTF8.self) == payload)
            let second = try #require(try broker.get(queue: topology.queue))
            #expect(try BuyOrderCreatedEvent(json: Data(second.body)).order.currencyAmount.description == "123.45")
        }
    }

    @Test func setsAsideRowsThatCannotBeRenderedAndKeepsTheRestFlowing() async throws {
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()))
        let topology = Self.topology()
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            let missing = UUID()
            try path.database.connect().query(
                """
                INSERT INTO outbox (event_id, client_id, routing_key, buy_order_id)
                VALUES (gen_random_uuid(), 'default', 'buy_order.created', \(missing));
                """)
            try path.database.connect().query(
                """
                INSERT INTO outbox (event_id, client_id, routing_key, payload)
                VALUES (gen_random_uuid(), 'default', 'buy_order.created', '{"written":"by hand"}'::json)
                """)
            for _ in 0..<3 { #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok) }
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }

            let parked = Array(
                try path.database.connect().query(
                    "SELECT buy_order_id::text AS order_id, reason FROM outbox_parked ORDER BY sequence"))
            #expect(parked.count == 2)
            #expect(parked.first?["order_id"] == missing.lowercaseText)
            #expect(parked.first?["reason"]?.contains("order \(missing.lowercaseText) does not exist") == true)
            #expect(parked.last?["reason"]?.contains("not a valid event") == true)
            let broker = try AMQPConnection(settings: amqp)
            #expect(try broker.messageCount(queue: topology.queue) == 3)
            let metrics = try await Self.metrics(client)
            #expect(metrics.value("outbox_parked_total") == 2)
            try await expectEventually(within: .seconds(30)) { try await Self.metrics(client).value("outbox_parked") == 2 }
        }
    }

    @Test func exportsTheBTCTotalAndItsLimitInSatoshisAsTheRowChanges() async throws {
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()))
        try await WritePath.run(limitBTC: "0.5", amqp: amqp, topology: Self.topology()) { client, path in
            try await expectEventually(within: .seconds(30)) {
                let metrics = try await Self.metrics(client)
                return metrics.value("btc_total_satoshis") == 0 && metrics.value("btc_limit_satoshis") == 50_000_000
            }
            #expect(try await WritePath.put(client, body: WritePath.body(amount: "100")).status == .ok)
            let total = try #require(BTCAmount(parsing: try path.totals().total))
            #expect(total.satoshis > 0)
            try await expectEventually(within: .seconds(30)) {
                try await Self.metrics(client).value("btc_total_satoshis") == Double(total.satoshis)
            }
            // Written by another process (buyorders-admin limit set): the gauge follows the row, not this instance's orders.
            try path.database.connect().query("UPDATE btc_total SET limit_btc = 100.00000001")
            try await expectEventually(within: .seconds(30)) {
                try await Self.metrics(client).value("btc_limit_satoshis") == 10_000_000_001
            }
        }
    }

    @Test func backsOffWhileTheBrokerReturnsEveryEvent() async throws {
        let name = "relay-returns-\(UUID().uuidString.prefix(8))"
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()), connectionName: name)
        let topology = Self.topology()
        let control = try RabbitMQControl.shared()
        /// What the broker received from the relay's connection, in bytes.
        @Sendable func received() throws -> Int {
            try control.run("list_connections", "recv_oct", "client_properties").split(separator: "\n")
                .filter { $0.contains(name) }.compactMap { Int($0.split(separator: "\t").first ?? "") }.reduce(0, +)
        }
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            try await expectEventually(within: .seconds(30)) { try await Self.metrics(client).value("amqp_connected", #"session="outbox-relay""#) == 1 }
            // The exchange keeps no bound queue: every mandatory publish comes back (NO_ROUTE).
            let broker = try AMQPConnection(settings: amqp)
            try broker.deleteQueue(topology.queue)
            _ = try Self.storeOrders(600, in: path.database, outbox: true)
            try await expectEventually(within: .seconds(30)) { try await Self.metrics(client).value("outbox_publish_failures_total") ?? 0 > 0 }
            let first = try await Self.metrics(client).value("outbox_publish_failures_total") ?? 0
            let bytes = try await onOwnThread { try received() }
            try await Task.sleep(for: .seconds(4))
            let failed = (try await Self.metrics(client).value("outbox_publish_failures_total") ?? 0) - first
            let sent = try await onOwnThread { try received() } - bytes
            // 500 events a cycle; back to back it would be dozens of cycles in 4 s (measured before the fix:
            // 21 MB, about 100 cycles), with the backoff a handful. An event is more than 400 bytes on the wire.
            #expect(failed / 500 <= 8, "\(failed / 500) publish cycles in 4 s")
            #expect(sent / 200_000 <= 8, "the broker received \(sent) bytes in 4 s")
            #expect(try Self.unsent(path) == 600)

            // Routable again: everything goes out.
            try broker.declare(topology)
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }
            #expect(try broker.messageCount(queue: topology.queue) == 600)
            try broker.deleteQueue(topology.queue)
        }
    }

    @Test func keepsItsBrokerConnectionWhileIdle() async throws {
        let name = "relay-idle-\(UUID().uuidString.prefix(8))"
        let amqp = AMQPSettings(
            endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()), heartbeat: .seconds(1), connectionName: name)
        let topology = Self.topology()
        let control = try RabbitMQControl.shared()
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }
            let before = try await onOwnThread { try control.connections(mentioning: name) }
            #expect(before.count == 1)
            // Idle for several heartbeats: unserviced, the broker would close the connection after two.
            try await Task.sleep(for: .seconds(6))
            let after = try await onOwnThread { try control.connections(mentioning: name) }
            #expect(after == before)
            #expect(try await Self.metrics(client).value("amqp_reconnects_total", #"session="outbox-relay""#) == 0)
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }
            #expect(try AMQPConnection(settings: amqp).messageCount(queue: topology.queue) == 2)
        }
    }

    @Test func reconnectsThroughAProxyThatStoppedForwardingAndLosesNothing() async throws {
        let shared = try AMQPEndpoint(url: try TestServers.amqpURL())
        let proxy = try TCPProxy(targetPort: shared.port)
        defer { proxy.stop() }
        var endpoint = shared
        endpoint.port = proxy.port
        let amqp = AMQPSettings(endpoint: endpoint, heartbeat: .seconds(1), connectTimeout: .seconds(1), rpcTimeout: .seconds(2))
        let topology = Self.topology()
        try await WritePath.run(amqp: amqp, topology: topology) { client, path in
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }
            proxy.pause()
            for _ in 0..<5 { #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok) }
            // The relay finds out from the missing heartbeats, not from a closed socket: nothing was closed.
            try await expectEventually(within: .seconds(20)) {
                try await Self.metrics(client).value("amqp_connected", #"session="outbox-relay""#) == 0
            }
            #expect(try Self.unsent(path) > 0)
            proxy.resume()
            try await expectEventually(within: .seconds(30)) { try Self.unsent(path) == 0 }
            #expect(try await Self.metrics(client).value("amqp_reconnects_total", #"session="outbox-relay""#) ?? 0 >= 1)
            let broker = try AMQPConnection(settings: AMQPSettings(endpoint: shared))
            var ids: Set<String> = []
            while let delivery = try broker.get(queue: topology.queue) {
                ids.insert(try BuyOrderCreatedEvent(json: Data(delivery.body)).order.id.lowercaseText)
                try broker.ack(delivery.tag)
            }
            let stored = try path.database.connect().query("SELECT id::text AS id FROM buy_order").compactMap { $0["id"] }
            #expect(ids == Set(stored))
            #expect(ids.count == 6)
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

    @Test func stopsPromptlyWhileWaitingForConfirmsThatNeverCome() async throws {
        let shared = try AMQPEndpoint(url: try TestServers.amqpURL())
        let proxy = try TCPProxy(targetPort: shared.port)
        defer { proxy.stop() }
        var endpoint = shared
        endpoint.port = proxy.port
        let database = try TestDatabase.create(.writeModel)
        let registry = PrometheusCollectorRegistry()
        let relay = OutboxRelay(
            database: database.settings(), amqp: AMQPSettings(endpoint: endpoint), topology: Self.topology(),
            logger: TestServers.logger, metrics: PrometheusMetricsFactory(registry: registry))
        let group = ServiceGroup(configuration: .init(services: [relay], logger: TestServers.logger))
        try await withThrowingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            _ = try Self.storeOrders(3, in: database, outbox: true)
            try await expectEventually(within: .seconds(30)) { try Self.count("outbox", in: database) == 0 }
            // The broker hears nothing more: the next publish waits for confirms (10 s), then the close handshake.
            proxy.pause()
            _ = try Self.storeOrders(3, in: database, outbox: true)
            try await Task.sleep(for: .milliseconds(500))
            let stopping = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            let took = ContinuousClock.now - stopping
            // The target is 2 s (the stop grace of 1 s, then nothing blocks); before, 10 s of confirm
            // wait and two 10 s close handshakes. Bounded generously for a loaded machine.
            #expect(took < .seconds(5), "the relay stopped after \(took)")
        }
        #expect(try Self.count("outbox", in: database) == 3)
    }

    @Test func publishesWhatIsLeftWhenStopping() async throws {
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: try TestServers.amqpURL()))
        let topology = Self.topology()
        let database = try TestDatabase.create(.writeModel)
        // Polled only every minute, so only the signal or the stop makes it look at the outbox.
        let relay = OutboxRelay(
            database: database.settings(), amqp: amqp, topology: topology, pollInterval: .seconds(60),
            logger: TestServers.logger, metrics: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
        let group = ServiceGroup(configuration: .init(services: [relay], logger: TestServers.logger))
        try await withThrowingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            _ = try Self.storeOrders(1, in: database, outbox: true)
            try await expectEventually(within: .seconds(30)) { try Self.count("outbox", in: database) == 0 }
            // The last orders the writer committed before shutdown, their signal missed.
            _ = try Self.storeOrders(5, in: database, outbox: true, notify: false)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try Self.count("outbox", in: database) == 5)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try Self.count("outbox", in: database) == 0)
        let broker = try AMQPConnection(settings: amqp)
        #expect(try broker.messageCount(queue: topology.queue) == 6)
        try broker.deleteQueue(topology.queue)
    }

    // MARK: - Helpers

    static func count(_ table: String, in database: TestDatabase) throws -> Int {
        Int(try database.connect().query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)")).first?["n"] ?? "") ?? -1
    }


    static func unsent(_ path: WritePath) throws -> Int { try path.count("outbox") }

    static func metrics(_ client: any TestClientProtocol) async throws -> MetricsReading {
        MetricsReading(text: try await client.execute(uri: "/metrics", method: .get).text)
    }

    /// Orders stored in one statement, with their outbox rows if `outbox`, and a commit signal to the relay.
    static func storeOrders(_ count: Int, in database: TestDatabase, outbox: Bool, notify: Bool = true) throws
        -> [BuyOrderCreatedEvent]
    {
        let connection = try database.connect()
        let rows = try connection.query(
            """
            INSERT INTO buy_order AS o (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
            SELECT gen_random_uuid(), 'default', 'USD', 100.00, 48478.88, 0.00206276, 'coinbase', now()
            FROM generate_series(1, \(count)::int)
            RETURNING \(unsafeSQL: StoredBuyOrder.columns)
            """)
        let orders = try rows.map(StoredBuyOrder.init(row:))
        if outbox {
            try connection.query(
                """
                INSERT INTO outbox (event_id, client_id, routing_key, buy_order_id)
                SELECT gen_random_uuid(), 'default', 'buy_order.created', id FROM unnest(\(orders.map(\.id))::uuid[]) AS id
                """)
            if notify { try connection.query("SELECT pg_notify('buy_order_outbox', '')") }
        }
        return orders.map { BuyOrderCreatedEvent(order: $0) }
    }
}
