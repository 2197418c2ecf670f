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
    let database: DatabaseSettings
    let amqp: AMQPSettings
    let topology: AMQPTopology
    let batchSize: Int
    let pollInterval: Duration
    let backoff: Backoff
    let logger: Logger
    let metrics: any MetricsFactory

    init(
        database: DatabaseSettings, amqp: AMQPSettings, topology: AMQPTopology, batchSize: Int = 500,
        pollInterval: Duration = .seconds(1), backoff: Backoff = Backoff(), logger: Logger, metrics: any MetricsFactory
    ) {
        self.database = database
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

    /// What one claim → publish → confirm → delete cycle did.
    struct Cycle {
        var claimed = 0
        var confirmed = 0
        var parked: [(sequence: Int64, reason: String)] = []
        /// Messages the broker did not confirm, and why (the first one's outcome).
        var unconfirmed = 0
        var failure: String?
        /// The broker nacked one or more: it could not enqueue them.
        var nacked = false
    }

    /// One cycle, in one transaction of two round trips: BEGIN with the claim; then, once the broker
    /// has answered, the parked rows, the deletes and COMMIT.
    func relayOnce(_ database: PostgresConnection, _ broker: AMQPConnection) throws -> Cycle {
        do {
            let rows = try database.pipeline(["BEGIN", OutboxStore.claim(limit: batchSize)])[1].map {
                try OutboxRow(row: $0, exchange: topology.exchange)
            }
            var cycle = Cycle(claimed: rows.count)
            guard !rows.isEmpty else {
                try database.pipeline(["COMMIT"])
                return cycle
            }
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
            let outcomes = try broker.publishBatch(messages)
            let confirmed = zip(sequences, outcomes).filter { $0.1 == .confirmed }.map(\.0)
            try database.pipeline(
                [OutboxStore.park(cycle.parked), OutboxStore.delete(confirmed), "COMMIT"].compactMap { $0 })
            cycle.confirmed = confirmed.count
            cycle.unconfirmed = messages.count - confirmed.count
            cycle.failure = outcomes.first { $0 != .confirmed }.map(Self.reason)
            cycle.nacked = outcomes.contains(.nacked)
            return cycle
        } catch {
            database.rollback()
            throw error
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
}
