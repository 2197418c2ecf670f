import Core
import Foundation
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders
@testable import ReadModelSync

/// The gap: two read-model-sync transactions commit out of order. A's transaction takes its place (its
/// transaction id, its order's sequence value) first, then waits on a lock the test holds; B's commits
/// meanwhile with a larger sequence value. A reader that kept "the largest sequence seen" has passed A's
/// order for good once A commits. The stream's position (transaction id, sequence), read only below the
/// oldest running transaction, waits for A and then delivers both, A's first.
///
/// The naive reader lives only here, to show that the scenario breaks it: its run is a known issue.
@Suite struct StreamGapTests {
    enum Reader: String, CaseIterable, Sendable {
        /// `projected_sequence > the largest seen`, as a sequence-numbered feed would read.
        case naiveSequence
        /// `GET /v1/buy_orders/stream` of fetch-buy-orders.
        case stream
    }

    @Test(arguments: Reader.allCases)
    func aReaderGetsEveryOrderOnceWhenAnOlderTransactionCommitsAfterAYoungerOne(reader: Reader) async throws {
        // A PostgreSQL of its own: the transaction it holds open would hold back every stream of its server.
        let server = try await onOwnThread { try PrivateServer.start(.postgres) }
        defer { server.stop() }
        let read = try server.database("read_model", migrating: .readModel)
        // A's order waits inside its transaction until the test lets it go.
        try read.connect().execute(
            script: """
                CREATE FUNCTION hold_order() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.currency_amount = 13.13 THEN PERFORM pg_advisory_xact_lock(4242); END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER hold_order BEFORE INSERT ON buy_order FOR EACH ROW EXECUTE FUNCTION hold_order();
                """)
        let settings = FetchBuyOrdersSettings(
            server: HTTPServerSettings(port: 0), readDatabase: read.settings(), access: .anonymousDefault)
        let app = try await buildFetchBuyOrders(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        let (older, younger) = (try Self.event(amount: "13.13"), try Self.event(amount: "1.00"))
        try await withLiveApplication(app) { live in
            let stream = try await Self.openStream(port: live.port)
            var naive = NaiveSequenceReader(database: read)
            let lock = try read.connect()
            try lock.query("SELECT pg_advisory_lock(4242)")
            // Two consumers, each with its own connection, as two read-model-sync instances; A gives up
            // after a minute should the test fail before it lets A go (its statement waits on the lock,
            // so the services' 5 s statement timeout is lifted too: a busy machine took longer).
            var patient = read.settings()
            patient.options.lockTimeout = .seconds(60)
            patient.options.statementTimeout = .seconds(60)
            let database = patient
            let applyingA = Task { try await onOwnThread { EventApplier(database: database).apply([older.event]).applied } }
            var seen: [String] = []
            do {
                try await expectEventually(within: .seconds(30)) { try Self.waitingOnTheLock(read) }
                #expect(try await onOwnThread { EventApplier(database: database).apply([younger.event]).applied } == [0])
                switch reader {
                case .naiveSequence: seen += try naive.read()
                case .stream:
                    // B's order is committed, but A's transaction is older and still running: nothing yet.
                    let early = try await Self.orders(on: stream, for: .milliseconds(1500))
                    #expect(early.isEmpty, "delivered while an older transaction ran: \(early)")
                    seen += early
                }
            } catch {
                _ = try? lock.query("SELECT pg_advisory_unlock(4242)")
                _ = await applyingA.result
                throw error
            }
            try lock.query("SELECT pg_advisory_unlock(4242)")
            #expect(try await applyingA.value == [0])
            switch reader {
            case .naiveSequence:
                seen += try naive.read()
                withKnownIssue("a sequence position skips an order committed after a larger sequence value") {
                    #expect(seen == [older.id, younger.id])
                }
            case .stream:
                seen += try await stream.orders(2 - seen.count, within: .seconds(30)).compactMap(\.orderID)
                #expect(seen == [older.id, younger.id])
                // And nothing more: each once.
                let more = try await Self.orders(on: stream, for: .milliseconds(1500))
                #expect(more.isEmpty)
            }
            stream.close()
        }
    }

    /// An order's event as the relay publishes it.
    static func event(amount: String) throws -> (id: String, event: ProjectedEvent) {
        let currencyAmount = try FiatAmount(parsing: amount)
        let rate = try ExchangeRate(parsing: "48478.88")
        let order = StoredBuyOrder(
            id: UUID(), sequence: Int64.random(in: 1...1_000_000_000), clientID: "default", currency: .usd,
            currencyAmount: currencyAmount, btcRate: rate, btcAmount: BTCAmount(buying: currencyAmount, at: rate),
            rateSource: "test", rateQuotedAt: "2026-11-23T21:41:02.823904Z", createdAt: "2026-11-23T21:41:02.823904Z")
        let body = BuyOrderCreatedEvent(order: order).json
        return (order.id.lowercaseText, try ProjectedEvent(routingKey: BuyOrderCreatedEvent.routingKey, body: Array(body.utf8)))
    }

    static func waitingOnTheLock(_ database: TestDatabase) throws -> Bool {
        let rows = try database.connect().query(
            """
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
            """)
        return rows.first?["n"] == "1"
    }

    static func openStream(port: Int) async throws -> EventStreamConnection {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let stream = try await EventStreamConnection.open(port: port, path: "/v1/buy_orders/stream")
            if stream.status == 200 || ContinuousClock.now > deadline {
                _ = try await stream.next()
                return stream
            }
            stream.close()
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The ids of the orders the stream delivers within `duration`.
    static func orders(on stream: EventStreamConnection, for duration: Duration) async throws -> [String] {
        let deadline = ContinuousClock.now + duration
        var ids: [String] = []
        while ContinuousClock.now < deadline {
            do {
                guard let event = try await stream.next(within: deadline - .now) else { break }
                if let id = event.orderID { ids.append(id) }
            } catch RawHTTPConnection.Failure.timedOut {
                break
            }
        }
        return ids
    }
}

/// The naive variant, for the test above only: remembers the largest `projected_sequence` it has read.
struct NaiveSequenceReader {
    let database: TestDatabase
    var last: Int64 = 0

    mutating func read() throws -> [String] {
        let rows = try database.connect().query(
            "SELECT id::text AS id, projected_sequence FROM buy_order WHERE projected_sequence > \(last) ORDER BY projected_sequence")
        last = try rows.map { try $0.int("projected_sequence") }.max() ?? last
        return try rows.map { try $0.text("id") }
    }
}
