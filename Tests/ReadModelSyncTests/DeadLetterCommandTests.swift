import Core
import Foundation
import Testing
import TestSupport

@testable import ReadModelSync

/// The real `read-model-sync dead-letters list | redrive` and `verify`, as child processes, on a virtual
/// host of the test's own. Messages are parked the two ways production parks them: the consumer's
/// `deadLetter` (a copy with `x-death-reason`), and the broker's own dead-lettering of a rejected message.
@Suite struct DeadLetterCommandTests {
    static let topology = AMQPTopology()

    /// `2026-12-01T14:10:31Z`, as `dead-letters list` prints times.
    static func isTime(_ text: String) -> Bool {
        (try? /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/.wholeMatch(in: text)) != nil
    }

    /// A broker of the test's own (virtual host) with the topology declared.
    final class Broker {
        let virtualHost: TestVirtualHost
        let connection: AMQPConnection

        init() async throws {
            virtualHost = try await onOwnThread { try TestVirtualHost.create() }
            connection = try AMQPConnection(settings: AMQPSettings(endpoint: AMQPEndpoint(url: virtualHost.url)))
            try connection.declare(DeadLetterCommandTests.topology)
        }

        var environment: [String: String] { ["AMQP_URL": virtualHost.url.absoluteString] }

        enum Parking { case byTheConsumer(reason: String), byTheBroker }

        /// Publishes a message to the events' exchange, takes it from the live queue and parks it.
        func park(_ id: String, body: String = #"{"not":"an event"}"#, _ parking: Parking) async throws {
            let before = try connection.messageCount(queue: topology.deadLetterQueue)
            try connection.publish(
                AMQPMessage(exchange: topology.exchange, routingKey: topology.routingKey, body: Array(body.utf8), messageID: id))
            var delivery: AMQPDelivery?
            try #require(await eventually { delivery = try self.connection.get(queue: topology.queue); return delivery != nil })
            switch parking {
            case .byTheConsumer(let reason):
                try connection.publish(AMQPMessage.deadLetter(delivery!, exchange: topology.deadLetterExchange, reason: reason))
                try connection.ack(delivery!.tag)
            case .byTheBroker:
                try connection.reject(delivery!.tag, requeue: false)
            }
            try #require(await eventually { try self.connection.messageCount(queue: topology.deadLetterQueue) == before + 1 })
        }

        /// Takes every message of `queue` for good; their ids in queue order.
        func drain(_ queue: String) throws -> [String] {
            var ids: [String] = []
            while let delivery = try connection.get(queue: queue) {
                ids.append(delivery.messageID ?? "-")
                try connection.ack(delivery.tag)
            }
            return ids
        }

        func take(_ queue: String) throws -> AMQPDelivery? {
            guard let delivery = try connection.get(queue: queue) else { return nil }
            try connection.ack(delivery.tag)
            return delivery
        }

        func delete() async throws {
            connection.close()
            try await onOwnThread { [virtualHost] in virtualHost.delete() }
        }
    }

    static func command(_ arguments: [String], _ environment: [String: String]) async throws -> CommandOutput {
        try await CommandOutput.product("read-model-sync", arguments, environment: environment, within: .seconds(60))
    }

    // MARK: - list

    @Test func listShowsCountIdTimeAndReasonAndLosesNothing() async throws {
        let broker = try await Broker()
        try await broker.park("m-a", .byTheConsumer(reason: "amount: must be positive"))
        try await broker.park("m-b", .byTheBroker)
        try await broker.park("m-c", .byTheConsumer(reason: "not JSON"))

        for _ in 0..<2 {
            let list = try await Self.command(["dead-letters", "list"], broker.environment)
            #expect(list.termination == .exited(0), "\(list)")
            let lines = list.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 4, "\(list)")
            #expect(lines.first == "3 message(s) parked in read_model_sync.dead_letter")
            let expected = [
                ("m-a", "amount: must be positive"), ("m-b", "rejected (by the broker, from read_model_sync)"), ("m-c", "not JSON"),
            ]
            for (line, (id, reason)) in zip(lines.dropFirst(), expected) {
                let parts = line.components(separatedBy: "  ")
                #expect(parts.count == 3 && parts[0] == id && parts[2] == reason, "\(line)")
                #expect(Self.isTime(parts.count > 1 ? parts[1] : ""), "\(line)")
            }
        }
        #expect(try broker.drain(Self.topology.deadLetterQueue) == ["m-a", "m-b", "m-c"], "nothing lost or reordered")
        #expect(try broker.connection.messageCount(queue: Self.topology.queue) == 0)
        try await broker.delete()
    }

    // MARK: - redrive

    @Test func redriveByIdMovesExactlyThatOne() async throws {
        let broker = try await Broker()
        for id in ["m-a", "m-b", "m-c"] { try await broker.park(id, .byTheConsumer(reason: "bad \(id)")) }

        let redrive = try await Self.command(["dead-letters", "redrive", "--id", "m-b"], broker.environment)
        #expect(redrive.termination == .exited(0), "\(redrive)")
        #expect(redrive.stdout.hasPrefix("moved 1 message(s) from read_model_sync.dead_letter back to read_model_sync\nm-b  "), "\(redrive)")

        let none = try await Self.command(["dead-letters", "redrive", "--id", "m-nope"], broker.environment)
        #expect(none.termination == .exited(1), "\(none)")
        #expect(none.stderr == "read-model-sync dead-letters redrive: no message with id m-nope is parked in read_model_sync.dead_letter\n")

        let moved = try #require(try broker.take(Self.topology.queue))
        #expect(moved.messageID == "m-b" && moved.body == Array(#"{"not":"an event"}"#.utf8))
        #expect(moved.headers[AMQPMessage.deathReasonHeader] == nil, "the live queue judges it afresh")
        #expect(try broker.connection.messageCount(queue: Self.topology.queue) == 0)
        #expect(try broker.drain(Self.topology.deadLetterQueue) == ["m-a", "m-c"])
        try await broker.delete()
    }

    @Test func redriveAllMovesEveryMessageInOrder() async throws {
        let broker = try await Broker()
        try await broker.park("m-a", .byTheConsumer(reason: "bad"))
        try await broker.park("m-b", .byTheBroker)
        try await broker.park("m-c", .byTheConsumer(reason: "bad"))

        let redrive = try await Self.command(["dead-letters", "redrive", "--all"], broker.environment)
        #expect(redrive.termination == .exited(0), "\(redrive)")
        #expect(redrive.stdout.hasPrefix("moved 3 message(s) from read_model_sync.dead_letter back to read_model_sync\n"))
        #expect(try broker.connection.messageCount(queue: Self.topology.deadLetterQueue) == 0)
        #expect(try broker.drain(Self.topology.queue) == ["m-a", "m-b", "m-c"])
        try await broker.delete()
    }

    /// With the real consumer running: a valid event redriven is applied; an invalid one is parked again.
    @Test func anInvalidMessageRedrivenComesBackToTheDeadLettersAndAValidOneIsApplied() async throws {
        let broker = try await Broker()
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let event = try #require(try Self.storeOrders(1, in: write).first)
        let eventID = event.eventID.lowercaseText
        try await broker.park(eventID, body: event.json, .byTheConsumer(reason: "test: parked by hand"))

        let log = FileManager.default.temporaryDirectory.appendingPathComponent("rms-\(UUID().uuidString.prefix(8)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let consumer = try ChildProcess(
            try BuiltProducts.executable("read-model-sync"),
            environment: broker.environment.merging([
                "READ_DB_URL": read.url.absoluteString, "HOST": "127.0.0.1", "PORT": "\(try PrivateServer.freePort())",
                "LOG_LEVEL": "warning",
            ]) { $1 },
            output: log, errors: log)
        // The consumer parks the invalid message itself.
        try broker.connection.publish(
            AMQPMessage(
                exchange: Self.topology.exchange, routingKey: Self.topology.routingKey, body: Array(#"{"event_id":1}"#.utf8),
                messageID: "m-invalid"))
        try await expectEventually(within: .seconds(30)) {
            try await Self.command(["dead-letters", "list"], broker.environment).stdout.contains("\nm-invalid  ")
        }

        let redrive = try await Self.command(["dead-letters", "redrive", "--all"], broker.environment)
        #expect(redrive.termination == .exited(0), "\(redrive)")
        #expect(redrive.stdout.contains("\nm-invalid  "), "\(redrive)")

        try await expectEventually(within: .seconds(30)) { try Self.orderIDs(in: read) == [event.order.id.lowercaseText] }
        var list = try await Self.command(["dead-letters", "list"], broker.environment)
        try await expectEventually(within: .seconds(30)) {
            list = try await Self.command(["dead-letters", "list"], broker.environment)
            return list.stdout.hasPrefix("1 message(s) parked in read_model_sync.dead_letter\nm-invalid  ")
        }
        #expect(!list.stdout.contains(eventID), "\(list)")
        #expect(try broker.connection.messageCount(queue: Self.topology.queue) == 0)

        consumer.send(SIGTERM)
        #expect(consumer.wait(within: .seconds(20)) == .exited(0))
        try await broker.delete()
    }

    // MARK: - verify

    @Test func verifyNamesTheMissingOrdersAndWhetherTheirEventsAreParked() async throws {
        let broker = try await Broker()
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let events = try Self.storeOrders(3, in: write).sorted { $0.order.id.lowercaseText < $1.order.id.lowercaseText }
        let (kept, parked, lost) = (events[0].order.id, events[1], events[2].order.id)
        _ = try ReadModelAdmin(write: write.connect(), read: read.connect()).rebuild()
        try read.connect().query("DELETE FROM buy_order WHERE id <> \(kept)")
        try await broker.park(parked.eventID.lowercaseText, body: parked.json, .byTheConsumer(reason: "test: parked"))
        try await broker.park("m-junk", .byTheBroker)
        let databases = ["WRITE_DB_URL": write.url.absoluteString, "READ_DB_URL": read.url.absoluteString]

        let verify = try await Self.command(["verify"], databases.merging(broker.environment) { $1 })
        #expect(verify.termination == .exited(1), "\(verify)")
        let lines = verify.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(verify)")
        guard lines.count == 7 else { return }
        #expect(lines[0].hasPrefix("verify: read model differs from write model: count: write 3, read 1"))
        #expect(lines[1] == "verify: 2 order(s) of the write model missing from the read model:")
        #expect(lines[2].hasPrefix(
            "  order \(parked.order.id.lowercaseText): its event is parked in read_model_sync.dead_letter: \(parked.eventID.lowercaseText)  "))
        #expect(lines[2].hasSuffix("  test: parked"))
        #expect(lines[3] == "  order \(lost.lowercaseText): its event is not in read_model_sync.dead_letter")
        #expect(lines[4] == "verify: 2 message(s) parked in read_model_sync.dead_letter:")
        #expect(lines[5].hasPrefix("  \(parked.eventID.lowercaseText)  ") && lines[5].hasSuffix("  (order \(parked.order.id.lowercaseText))"))
        #expect(lines[6].hasPrefix("  m-junk  ") && lines[6].hasSuffix("  (not a valid buy_order.created event)"))
        #expect(try broker.connection.messageCount(queue: Self.topology.deadLetterQueue) == 2, "verify leaves them parked")

        let unreachable = "amqp://guest:guest@127.0.0.1:\(try PrivateServer.freePort())/%2f"
        let blind = try await Self.command(["verify"], databases.merging(["AMQP_URL": unreachable]) { $1 })
        #expect(blind.termination == .exited(1), "\(blind)")
        #expect(blind.stdout.hasPrefix("verify: read model differs from write model: count: write 3, read 1"))
        #expect(blind.stdout.contains("  order \(lost.lowercaseText): the dead-letter queue could not be checked"))
        #expect(blind.stdout.contains("verify: dead letters not checked: cannot reach the broker (AMQP error (connectionFailed)"))
        #expect(!blind.stdout.contains("guest:guest"))
        try await broker.delete()
    }

    // MARK: - usage

    @Test(arguments: [
        (["dead-letters", "redrive"], "Error: give --all, or --id MESSAGE_ID for one message"),
        (["dead-letters", "redrive", "--all", "--id", "m-1"], "Error: give either --all or --id MESSAGE_ID, not both"),
        (["dead-letters", "redrive", "--id"], "Error: Missing value for '--id <message-id>'"),
        (["dead-letters", "purge"], "Error: Unexpected argument 'purge'"),
        (["verify", "--fast"], "Error: Unknown option '--fast'"),
        (["serve", "now"], "Error: Unexpected argument 'now'"),
    ])
    func aUsageErrorExitsTwoWithAClearMessage(arguments: [String], message: String) async throws {
        let run = try await Self.command(arguments, ["AMQP_URL": "amqp://guest:guest@127.0.0.1:1/%2f"])
        #expect(run.termination == .exited(2), "\(run)")
        #expect(run.stderr.hasPrefix(message + "\n"), "\(run)")
        #expect(run.stderr.contains("Usage: read-model-sync "), "\(run)")
        #expect(run.stdout.isEmpty)
    }

    @Test func aBadOrUnreachableBrokerIsOneLineWithoutItsPassword() async throws {
        let password = "Pw-dlq-5e0b"
        let malformed = try await Self.command(["dead-letters", "list"], ["AMQP_URL": "amqp://guest:\(password)@:5672/%2f"])
        #expect(malformed.termination == .exited(2), "\(malformed)")
        #expect(malformed.stderr.hasPrefix("read-model-sync dead-letters list: AMQP_URL must be"), "\(malformed)")
        let port = try PrivateServer.freePort()
        let unreachable = try await Self.command(
            ["dead-letters", "redrive", "--all"], ["AMQP_URL": "amqp://guest:\(password)@127.0.0.1:\(port)/%2f"])
        #expect(unreachable.termination == .exited(3), "\(unreachable)")
        #expect(
            unreachable.stderr.hasPrefix("read-model-sync dead-letters redrive: AMQP error (connectionFailed): could not connect to amqp://guest@127.0.0.1:\(port)/"),
            "\(unreachable)")
        for run in [malformed, unreachable] {
            #expect(run.stderr.split(separator: "\n").count == 1 && !(run.stdout + run.stderr).contains(password), "\(run)")
        }
    }

    @Test func helpNamesEveryCommandAndOption() async throws {
        let root = try await Self.command(["--help"], [:])
        #expect(root.termination == .exited(0))
        for text in ["USAGE: read-model-sync <subcommand>", "serve (default)", "verify", "rebuild", "dead-letters", "Exit status"] {
            #expect(root.stdout.contains(text), "\(text) in \(root.stdout)")
        }
        let deadLetters = try await Self.command(["dead-letters", "--help"], [:])
        #expect(deadLetters.stdout.contains("list") && deadLetters.stdout.contains("redrive"), "\(deadLetters)")
        let redrive = try await Self.command(["dead-letters", "redrive", "--help"], [:])
        #expect(redrive.termination == .exited(0))
        #expect(redrive.stdout.contains("--all") && redrive.stdout.contains("--id <message-id>"), "\(redrive)")
    }

    // MARK: - Helpers

    /// Orders stored in the write model, and their events as the write side publishes them.
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

    static func orderIDs(in database: TestDatabase) throws -> [String] {
        try database.connect().query("SELECT id::text AS id FROM buy_order ORDER BY id").compactMap { $0["id"] }
    }
}
