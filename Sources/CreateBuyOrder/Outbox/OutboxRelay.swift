import Core
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Publishes committed outbox events to RabbitMQ and deletes them once the broker confirmed them.
///
/// One thread owns a libpq connection (which LISTENs for the commit signal, with a slow poll as a
/// safety net) and an `AMQPSession`. Each cycle claims unsent rows with SKIP LOCKED, so several
/// instances never publish the same row at once, publishes them with confirms, and deletes the
/// confirmed ones in the same transaction. A row that cannot be rendered is moved to `outbox_parked`
/// with its reason in that transaction, so it never holds up the rows behind it. Events the broker
/// does not confirm (returned, nacked, timed out) stay in the outbox and are published again after a
/// growing pause; database failures back off the same way. While idle, the broker connection is
/// serviced so that it stays open and a dead one is replaced before the next order needs it.
/// When stopping, it publishes what is left for up to `AMQPConnection.stopGrace`.
final class OutboxRelay: Service, Sendable {
    private let databaseURL: URL
    private let amqp: AMQPSettings
    private let topology: AMQPTopology
    private let batchSize: Int
    private let pollInterval: Duration
    private let backoff: Backoff
    private let logger: Logger
    private let metrics: any MetricsFactory

    init(
        databaseURL: URL, amqp: AMQPSettings, topology: AMQPTopology, batchSize: Int = 500,
        pollInterval: Duration = .seconds(1), backoff: Backoff = Backoff(), logger: Logger, metrics: any MetricsFactory
    ) {
        self.databaseURL = databaseURL
        self.amqp = amqp
        self.topology = topology
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.backoff = backoff
        self.logger = logger
        self.metrics = metrics
    }

    func run() async throws {
        await BlockingLoop.run(name: "outbox-relay") { stop in
            OutboxRelayLoop(relay: self, stop: stop).run()
        }
    }

    fileprivate struct Counters {
        let published: Counter
        let publishFailures: Counter
        let parked: Counter
        let backlog: Gauge
        let oldestAge: Gauge
        let parkedRows: Gauge

        init(_ factory: any MetricsFactory) {
            published = Counter(label: "outbox_published_total", factory: factory)
            publishFailures = Counter(label: "outbox_publish_failures_total", factory: factory)
            parked = Counter(label: "outbox_parked_total", factory: factory)
            backlog = Gauge(label: "outbox_backlog", factory: factory)
            oldestAge = Gauge(label: "outbox_oldest_age_seconds", factory: factory)
            parkedRows = Gauge(label: "outbox_parked", factory: factory)
        }
    }

    /// What one claim → publish → confirm → delete cycle did.
    fileprivate struct Cycle {
        var claimed = 0
        var confirmed = 0
        var parked: [(sequence: Int64, reason: String)] = []
        /// Messages the broker did not confirm, and why (the first one's outcome).
        var unconfirmed = 0
        var failure: String?
    }

    /// One cycle, in one transaction.
    fileprivate func relayOnce(_ database: PostgresConnection, _ broker: AMQPConnection) throws -> Cycle {
        try database.transaction { database in
            let rows = try OutboxStore.claim(limit: batchSize, exchange: topology.exchange, on: database)
            var cycle = Cycle(claimed: rows.count)
            guard !rows.isEmpty else { return cycle }
            var sequences: [Int64] = []
            var messages: [AMQPMessage] = []
            for row in rows {
                switch row.rendering {
                case .message(let message):
                    sequences.append(row.sequence)
                    messages.append(message)
                case .unrenderable(let reason):
                    cycle.parked.append((row.sequence, reason))
                }
            }
            try OutboxStore.park(cycle.parked, on: database)
            let outcomes = try broker.publishBatch(messages)
            let confirmed = zip(sequences, outcomes).filter { $0.1 == .confirmed }.map(\.0)
            try OutboxStore.delete(confirmed, on: database)
            cycle.confirmed = confirmed.count
            cycle.unconfirmed = messages.count - confirmed.count
            cycle.failure = outcomes.first { $0 != .confirmed }.map(Self.reason)
            return cycle
        }
    }

    private static func reason(_ outcome: AMQPPublishOutcome) -> String {
        switch outcome {
        case .confirmed: "confirmed"
        case .nacked: "nacked by the broker"
        case .returned(let code, let text): "returned by the broker: \(code) \(text)"
        case .unconfirmed: "not confirmed in time"
        }
    }

    /// The loop's state, created and used on the loop's thread only.
    private final class OutboxRelayLoop {
        let relay: OutboxRelay
        let stop: StopFlag
        let session: AMQPSession
        let counters: Counters
        var database: PostgresConnection?
        var databaseFailures: FailureStreak
        var publishFailures: FailureStreak
        var lastBacklog = ContinuousClock.now - .seconds(10)

        init(relay: OutboxRelay, stop: StopFlag) {
            self.relay = relay
            self.stop = stop
            self.session = AMQPSession(
                name: "outbox-relay", settings: relay.amqp, topology: relay.topology, backoff: relay.backoff, stop: stop,
                logger: relay.logger, metrics: relay.metrics)
            self.counters = Counters(relay.metrics)
            self.databaseFailures = FailureStreak(backoff: relay.backoff)
            self.publishFailures = FailureStreak(backoff: relay.backoff)
        }

        var logger: Logger { relay.logger }

        func run() {
            while !stop.isSet {
                let broker = session.connection(within: .milliseconds(500))
                do {
                    let database = try openDatabase()
                    try recordBacklogIfDue(database)
                    guard let broker else { continue }
                    let cycle = try relay.relayOnce(database, broker)
                    databaseRecovered()
                    record(cycle)
                    if let failure = cycle.failure {
                        publishFailed(reason: failure, count: cycle.unconfirmed)
                    } else {
                        publishRecovered()
                        if cycle.claimed < relay.batchSize { try waitForWork(database) }
                    }
                } catch let error as AMQPError {
                    // A broken connection is the session's to replace and log; anything else (blocked by
                    // an alarm, a confirm that never came) means the broker did not take the events.
                    if broker?.isOpen == true { publishFailed(reason: "\(error.code)", count: 0, detail: error) }
                } catch {
                    databaseFailed(error)
                }
            }
            drainWhileStopping()
            session.close()
        }

        private func openDatabase() throws -> PostgresConnection {
            if let database { return database }
            let connection = try PostgresConnection(url: relay.databaseURL)
            try connection.query(PostgresQuery(unsafeSQL: "LISTEN \(OrderStore.outboxChannel)"))
            database = connection
            return connection
        }

        /// Waits up to the poll interval for the commit signal, servicing the broker connection meanwhile.
        private func waitForWork(_ database: PostgresConnection) throws {
            let deadline = ContinuousClock.now + relay.pollInterval
            while !stop.isSet, session.isReady, ContinuousClock.now < deadline {
                let slice = min(deadline - .now, session.keepAliveInterval)
                if !(try database.waitForNotifications(timeout: slice / .seconds(1))).isEmpty { return }
                session.keepAlive()
            }
        }

        /// Publishes what the writer committed last, for as long as the broker connection may still be used.
        private func drainWhileStopping() {
            guard let broker = session.readyConnection, let database else { return }
            let deadline = ContinuousClock.now + AMQPConnection.stopGrace
            while ContinuousClock.now < deadline, let cycle = try? relay.relayOnce(database, broker) {
                record(cycle)
                if cycle.claimed < relay.batchSize || cycle.failure != nil { return }
            }
        }

        private func record(_ cycle: Cycle) {
            counters.published.increment(by: cycle.confirmed)
            counters.publishFailures.increment(by: cycle.unconfirmed)
            for (sequence, reason) in cycle.parked {
                counters.parked.increment()
                logger.error(
                    "outbox event set aside: it cannot be rendered",
                    metadata: ["outbox.sequence": "\(sequence)", "reason": "\(reason)"])
            }
        }

        private func recordBacklogIfDue(_ database: PostgresConnection) throws {
            guard ContinuousClock.now - lastBacklog > .seconds(1) else { return }
            let backlog = try OutboxStore.backlog(on: database)
            counters.backlog.record(backlog.unsent)
            counters.oldestAge.record(backlog.oldestAgeSeconds)
            counters.parkedRows.record(backlog.parked)
            lastBacklog = .now
        }

        // MARK: - Failures: one log line per change, a growing pause

        private func publishFailed(reason: String, count: Int, detail: AMQPError? = nil) {
            let (delay, change) = publishFailures.failed(reason: reason)
            if change != .unchanged {
                logger.warning(
                    "outbox events not confirmed by the broker, retrying with backoff",
                    metadata: [
                        "reason": "\(reason)", "outbox.unconfirmed": "\(count)", "retry.delay_ms": "\(delay / .milliseconds(1))",
                        "error.detail": "\(detail.map { String(reflecting: $0) } ?? reason)",
                    ])
            }
            session.sleep(delay)
        }

        private func publishRecovered() {
            let failures = publishFailures.succeeded()
            if failures > 0 { logger.info("outbox events confirmed by the broker again", metadata: ["retry.attempts": "\(failures)"]) }
        }

        private func databaseFailed(_ error: any Error) {
            let postgres = error as? PostgresError
            let (delay, change) = databaseFailures.failed(reason: postgres.map { $0.sqlState ?? "\($0.code)" } ?? "\(error)")
            if change != .unchanged {
                logger.warning(
                    "outbox relay: write database failing, retrying with backoff",
                    metadata: [
                        "error.detail": "\(postgres?.debugDescription ?? String(describing: error))",
                        "retry.delay_ms": "\(delay / .milliseconds(1))",
                    ])
            }
            if database?.isIdle != true { database = nil }
            session.sleep(delay)
        }

        private func databaseRecovered() {
            let failures = databaseFailures.succeeded()
            if failures > 0 { logger.info("outbox relay: write database reachable again", metadata: ["retry.attempts": "\(failures)"]) }
        }
    }
}
