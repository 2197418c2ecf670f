import Core
import Foundation
import Logging
import Metrics

/// The relay's loop (see `OutboxRelay`): its state is created and used on the loop's thread only.
final class OutboxRelayLoop {
    let relay: OutboxRelay
    let stop: StopFlag
    let session: AMQPSession
    let counters: OutboxMetrics
    let btcTotal: BTCTotalGauges
    var database: PostgresConnection?
    var databaseFailures: FailureStreak
    var publishFailures: FailureStreak
    var lastGauges = ContinuousClock.now - .seconds(10)

    init(relay: OutboxRelay, stop: StopFlag) {
        self.relay = relay
        self.stop = stop
        self.session = AMQPSession(
            name: "outbox-relay", settings: relay.amqp, topology: relay.topology, backoff: relay.backoff, stop: stop,
            logger: relay.logger, metrics: relay.metrics)
        self.counters = OutboxMetrics(relay.metrics)
        self.btcTotal = BTCTotalGauges(relay.metrics)
        self.databaseFailures = FailureStreak(backoff: relay.backoff)
        self.publishFailures = FailureStreak(backoff: relay.backoff)
    }

    var logger: Logger { relay.logger }

    func run() {
        while !stop.isSet {
            let broker = session.connection(within: .milliseconds(500))
            do {
                let database = try openDatabase()
                try recordGaugesIfDue(database)
                guard let broker else { continue }
                let cycle = try relay.relayOnce(database, broker)
                databaseRecovered()
                record(cycle)
                if let failure = cycle.failure {
                    publishFailed(reason: failure, count: cycle.unconfirmed)
                    if cycle.nacked {
                        // RabbitMQ 3.10 can go on nacking every publish of a channel to a quorum queue whose
                        // leader moved to another node (the channel's client of the queue keeps the old
                        // one); a new connection asks for the current leader.
                        session.replaceConnection(
                            because: AMQPError(.publishNacked, message: "the broker nacked \(cycle.unconfirmed) events: \(failure)"))
                    }
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
        let connection = try PostgresConnection(settings: relay.database)
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

    private func record(_ cycle: OutboxRelay.Cycle) {
        counters.published.increment(by: cycle.confirmed)
        counters.publishFailures.increment(by: cycle.unconfirmed)
        for (sequence, reason) in cycle.parked {
            counters.parked.increment()
            logger.error(
                "outbox event set aside: it cannot be rendered",
                metadata: ["outbox.sequence": "\(sequence)", "reason": "\(reason)"])
        }
    }

    /// Once a second: the outbox backlog, and the BTC total with its limit (the one periodic read of the
    /// write model's gauges; the relay's connection is idle between cycles).
    private func recordGaugesIfDue(_ database: PostgresConnection) throws {
        guard ContinuousClock.now - lastGauges > .seconds(1) else { return }
        let backlog = try OutboxStore.backlog(on: database)
        counters.backlog.record(backlog.unsent)
        counters.oldestAge.record(backlog.oldestAgeSeconds)
        counters.parkedRows.record(backlog.parked)
        try btcTotal.record(from: database)
        lastGauges = .now
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
        if database?.isReusable != true { database = nil }
        session.sleep(delay)
    }

    private func databaseRecovered() {
        let failures = databaseFailures.succeeded()
        if failures > 0 { logger.info("outbox relay: write database reachable again", metadata: ["retry.attempts": "\(failures)"]) }
    }
}
