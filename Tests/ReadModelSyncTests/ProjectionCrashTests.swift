import Core
import Foundation
import Testing
import TestSupport

@testable import ReadModelSync

/// The real `read-model-sync` executable as a child process, killed with SIGKILL in the middle of a
/// stream of events. It uses the production exchange and queue names, so it gets a virtual host of
/// its own on the shared broker.
@Suite struct ProjectionCrashTests {
    static let total = 3000

    @Test func projectsEveryOrderExactlyOnceAfterSIGKILLAndRestart() async throws {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let virtualHost = try await onOwnThread { try TestVirtualHost.create() }
        let sync = ReadModelSyncProcess(write: write, read: read, amqpURL: virtualHost.url)
        let broker = try AMQPConnection(settings: AMQPSettings(endpoint: AMQPEndpoint(url: virtualHost.url)))
        try broker.declare(AMQPTopology())
        let events = try Self.storeOrders(Self.total, in: write)

        // The first half is queued, the consumer starts, and dies by SIGKILL once it has applied some.
        try Self.publish(events[..<(Self.total / 2)], on: broker)
        var process = try sync.start()
        try #require(await eventually(within: .seconds(30)) { try Self.count(in: read) > 0 })
        process.send(SIGKILL)
        #expect(process.wait() == .signaled(SIGKILL))
        #expect(try Self.count(in: read) < Self.total)

        // The second half arrives while it is down; a new process takes over the queue.
        try Self.publish(events[(Self.total / 2)...], on: broker)
        broker.close()
        process = try sync.start()
        try await expectEventually(within: .seconds(60)) { try Self.count(in: read) == Self.total }

        let (written, projected) = (try Self.ids(in: write), try Self.ids(in: read))
        let missing = Set(written).subtracting(projected)
        #expect(missing.count == 0, "orders not projected, such as \(missing.sorted().prefix(3))")
        #expect(projected.count == written.count)
        #expect(try ReadModelAdmin(write: write.connect(), read: read.connect()).verify() == nil)
        #expect(try sync.verify() == .exited(0))
        let check = try AMQPConnection(settings: AMQPSettings(endpoint: AMQPEndpoint(url: virtualHost.url)))
        try await expectEventually(within: .seconds(30)) { try check.messageCount(queue: AMQPTopology().queue) == 0 }
        #expect(try check.messageCount(queue: AMQPTopology().deadLetterQueue) == 0)
        check.close()

        process.send(SIGTERM)
        #expect(process.wait(within: .seconds(10)) == .exited(0))
        try await onOwnThread { virtualHost.delete() }
        sync.removeLog()
    }

    @Test func eventsTheBrokerDeadLettersAfterRepeatedCrashesAreRecovered() async throws {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let virtualHost = try await onOwnThread { try TestVirtualHost.create() }
        let control = try RabbitMQControl.shared()
        let sync = ReadModelSyncProcess(write: write, read: read, amqpURL: virtualHost.url)
        let topology = AMQPTopology()
        let broker = try AMQPConnection(settings: AMQPSettings(endpoint: AMQPEndpoint(url: virtualHost.url)))
        try broker.declare(topology)
        try Self.publish(try Self.storeOrders(50, in: write)[...], on: broker)

        // Every start takes the 50 events and blocks on the lock; kill -9 returns them to the queue,
        // which counts a delivery each time. After the sixth the quorum queue's limit (5) dead-letters them.
        let lock = try read.connect()
        try lock.query("BEGIN")
        try lock.query("LOCK TABLE buy_order IN SHARE MODE")
        for _ in 0..<6 {
            let process = try sync.start()
            try #require(
                await eventually(within: .seconds(60)) {
                    try await onOwnThread { try control.messages(in: topology.queue, virtualHost: virtualHost.name)?.unacked } == 50
                })
            process.send(SIGKILL)
            #expect(process.wait() == .signaled(SIGKILL))
        }
        try await expectEventually(within: .seconds(30)) { try broker.messageCount(queue: topology.deadLetterQueue) == 50 }
        try lock.query("ROLLBACK")

        // The next start sweeps them back from the dead-letter queue: not one is lost, and it says so.
        let process = try sync.start()
        try await expectEventually(within: .seconds(60)) { try Self.count(in: read) == 50 }
        try await expectEventually(within: .seconds(30)) { try broker.messageCount(queue: topology.deadLetterQueue) == 0 }
        try await expectEventually(within: .seconds(30)) { try await sync.metrics().value("events_recovered_total") == 50 }
        let recovered = sync.logLines(containing: "dead-lettered events recovered")
        #expect(recovered.count >= 1)
        #expect(recovered.first?.contains("delivery_limit") == true)
        #expect(try sync.verify() == .exited(0))
        process.send(SIGTERM)
        #expect(process.wait(within: .seconds(10)) == .exited(0))
        broker.close()
        try await onOwnThread { virtualHost.delete() }
        sync.removeLog()
    }

    /// Orders stored in the write model in one statement, and their events as the write side publishes them.
    static func storeOrders(_ count: Int, in database: TestDatabase) throws -> [BuyOrderCreatedEvent] {
        let rows = try database.connect().query(
            """
            INSERT INTO buy_order AS o (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
            SELECT gen_random_uuid(), 'default', 'USD', 100.00, 48478.88, 0.00206276, 'coinbase', now()
            FROM generate_series(1, \(count)::int)
            RETURNING \(unsafeSQL: StoredBuyOrder.columns)
            """)
        return try rows.map { BuyOrderCreatedEvent(order: try StoredBuyOrder(row: $0)) }
    }

    /// Publishes with confirms, in chunks; every event must be confirmed.
    static func publish(_ events: ArraySlice<BuyOrderCreatedEvent>, on broker: AMQPConnection) throws {
        let topology = AMQPTopology()
        let messages = events.map {
            AMQPMessage(
                exchange: topology.exchange, routingKey: topology.routingKey, body: Array($0.json.utf8),
                messageID: $0.eventID.uuidString.lowercased())
        }
        for start in stride(from: 0, to: messages.count, by: 500) {
            let outcomes = try broker.publishBatch(Array(messages[start..<min(start + 500, messages.count)]))
            try #require(outcomes.allSatisfy { $0 == .confirmed })
        }
    }

    static func count(in database: TestDatabase) throws -> Int {
        Int(try database.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] ?? "") ?? -1
    }

    static func ids(in database: TestDatabase) throws -> [String] {
        try database.connect().query("SELECT id::text AS id FROM buy_order").compactMap { $0["id"] }
    }
}

/// How the test starts the built `read-model-sync`: its environment, its port, and one log file for every run.
struct ReadModelSyncProcess {
    let write: TestDatabase
    let read: TestDatabase
    let amqpURL: URL
    var logLevel = "warning"
    let port = (try? PrivateServer.freePort()) ?? 0
    let log = FileManager.default.temporaryDirectory
        .appendingPathComponent("read-model-sync-\(UUID().uuidString.prefix(8).lowercased()).log").path

    func start() throws -> ChildProcess {
        try ChildProcess(
            BuiltProducts.executable("read-model-sync"),
            environment: [
                "READ_DB_URL": read.url.absoluteString, "AMQP_URL": amqpURL.absoluteString, "HOST": "127.0.0.1",
                "PORT": "\(port)", "LOG_LEVEL": logLevel,
            ],
            output: log, errors: log)
    }

    /// GETs `path` of the running process; nil while it does not answer.
    func get(_ path: String) async throws -> HTTPClientResponse? {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1), timeout: .seconds(5)))
        let response = try? await client.get("http://127.0.0.1:\(port)\(path)")
        await client.close()
        return response
    }

    func metrics() async throws -> MetricsReading {
        MetricsReading(text: try await get("/metrics")?.text ?? "")
    }

    /// The log lines (JSON objects) whose text contains `text`.
    func logLines(containing text: String) -> [String] {
        let contents = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return contents.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// Runs `read-model-sync verify` against the test's databases.
    func verify() throws -> ChildProcess.Termination {
        try ChildProcess(
            BuiltProducts.executable("read-model-sync"), ["verify"],
            environment: ["WRITE_DB_URL": write.url.absoluteString, "READ_DB_URL": read.url.absoluteString],
            output: log, errors: log
        ).wait()
    }

    func removeLog() { try? FileManager.default.removeItem(atPath: log) }
}
