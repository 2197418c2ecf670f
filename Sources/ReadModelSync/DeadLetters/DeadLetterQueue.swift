import Core
import Foundation
import Logging
import Metrics

/// read-model-sync's side of the dead-letter queue, on a broker connection of its own.
///
/// Publishing a dead letter (a copy with its `x-death-reason`) happens here rather than on the
/// consuming connection, because RabbitMQ blocks connections that publish during a memory or disk
/// alarm, and a blocked connection would stop the consumer's acks too.
///
/// The sweep takes what waits in the dead-letter queue (basic.get, at most `sweepLimit` at a time, all
/// held unsettled until the end so none is seen twice), applies every valid event (the upsert is
/// idempotent) and acks it, and puts the rest back, so nothing the broker dead-lettered for any reason
/// (the quorum queue's delivery limit included) is lost or stays unnoticed.
final class DeadLetterQueue {
    struct Sweep {
        var recovered: [(messageID: String, reason: String)] = []
        /// How many of the recovered events were not in the read model yet.
        var inserted = 0
        /// Messages left in the queue after the sweep (of those there when it began).
        var parked = 0
        /// Why valid events could not be applied now (the database refused them); nil when it did not.
        var held: String?
    }

    let session: AMQPSession
    private let topology: AMQPTopology
    private let sweepLimit: Int
    private let confirmTimeout: Duration

    init(
        settings: AMQPSettings, topology: AMQPTopology, sweepLimit: Int = 1000, confirmTimeout: Duration = .seconds(2),
        backoff: Backoff, stop: StopFlag, logger: Logger, metrics: any MetricsFactory
    ) {
        self.session = AMQPSession(
            name: "dead-letters", settings: settings, topology: topology, backoff: backoff, stop: stop, logger: logger,
            metrics: metrics)
        self.topology = topology
        self.sweepLimit = sweepLimit
        self.confirmTimeout = confirmTimeout
    }

    /// Publishes `delivery`'s dead letter and waits for the broker's confirm; the error says why it did
    /// not happen (not connected, blocked by an alarm, nacked, not confirmed in time).
    func publish(_ delivery: AMQPDelivery, reason: String) throws {
        guard let connection = session.connection(within: .zero) else {
            throw AMQPError(.connectionClosed, message: "not connected to the broker for dead letters")
        }
        try connection.publish(
            AMQPMessage.deadLetter(delivery, exchange: topology.deadLetterExchange, reason: reason),
            timeout: confirmTimeout)
    }

    /// One sweep; nil when the broker is not reachable now.
    func sweep(applying applier: EventApplier) throws -> Sweep? {
        guard let connection = session.connection(within: .zero) else { return nil }
        return try AMQPHeldMessages.take(from: topology.deadLetterQueue, on: connection, limit: sweepLimit) { held in
            let letters = held.deliveries.compactMap { delivery in
                (try? ProjectedEvent(routingKey: delivery.routingKey, body: delivery.body)).map { (delivery, $0) }
            }
            let report = applier.apply(letters.map(\.1))
            let applied = report.applied.map { letters[$0].0 }
            try held.ack(applied)
            var sweep = Sweep(parked: held.deliveries.count - applied.count)
            sweep.recovered = applied.map { ($0.messageID ?? "-", DeadLetter($0).reason) }
            sweep.inserted = report.inserted
            sweep.held = report.holdReason?.detail
            return sweep
        }
    }
}
