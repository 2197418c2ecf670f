import Core
import Foundation
import Logging
import Metrics

/// The projection's loop (see `ProjectionConsumer`): its state is created and used on the loop's thread only.
final class ProjectionLoop {
    typealias Event = (delivery: AMQPDelivery, event: ProjectedEvent)

    let consumer: ProjectionConsumer
    let stop: StopFlag
    let session: AMQPSession
    let deadLetters: DeadLetterQueue
    let applier: EventApplier
    let counters: ProjectionMetrics
    var settlement = AMQPDeliverySettlement()
    var connectionID: UInt64?
    /// Valid events the read model could not take yet, still unsettled.
    var held: [Event] = []
    var holding: FailureStreak
    var holdingSince: ContinuousClock.Instant?
    /// Why the held events could not be applied: a stable key (SQLSTATE) and the detail.
    var holdingReason: (key: String, detail: String)?
    /// Poison messages whose dead letter is not confirmed yet, still unsettled.
    var unsentDeadLetters: [(delivery: AMQPDelivery, reason: String)] = []
    var deadLetterFailures: FailureStreak
    var deadLetterRetryAt = ContinuousClock.now
    var nextSweep = ContinuousClock.now

    init(consumer: ProjectionConsumer, stop: StopFlag) {
        self.consumer = consumer
        self.stop = stop
        let options = consumer.options
        session = AMQPSession(
            name: "projection", settings: consumer.amqp, topology: consumer.topology,
            consumer: .init(queue: consumer.topology.queue, prefetch: options.prefetch), backoff: options.backoff,
            stop: stop, logger: consumer.logger, metrics: consumer.metrics)
        deadLetters = DeadLetterQueue(
            settings: consumer.amqp, topology: consumer.topology, backoff: options.backoff, stop: stop,
            logger: consumer.logger, metrics: consumer.metrics)
        applier = EventApplier(database: consumer.database)
        counters = ProjectionMetrics(consumer.metrics)
        holding = FailureStreak(backoff: options.backoff)
        deadLetterFailures = FailureStreak(backoff: options.backoff)
    }

    var logger: Logger { consumer.logger }
    var options: ProjectionConsumer.Options { consumer.options }

    func run() {
        while !stop.isSet {
            guard let broker = session.connection(within: .milliseconds(250)) else {
                consumer.status.consuming(false)
                continue
            }
            consumer.status.consuming(true)
            if broker.id != connectionID { startOver(on: broker) }
            // Between sweeps the dead-letter connection idles: heartbeats keep it open.
            deadLetters.session.keepAlive()
            do {
                try retryDeadLetters(on: broker)
                if held.isEmpty { sweepIfDue() }
                var batch = held
                held = []
                try gather(into: &batch, from: broker)
                guard !batch.isEmpty else { continue }
                try project(batch, on: broker)
                if !held.isEmpty { hold() }
            } catch {
                recover(from: error, on: broker)
            }
        }
        session.close()
        deadLetters.session.close()
        consumer.status.consuming(false)
    }

    /// A new connection: what the old one had unsettled, the broker delivers again.
    private func startOver(on broker: AMQPConnection) {
        connectionID = broker.id
        settlement = AMQPDeliverySettlement()
        held = []
        unsentDeadLetters = []
        consumer.status.unsentDeadLetters(0)
    }

    /// An error that left the channel open (the connection itself is the session's to replace):
    /// every unsettled delivery goes back to the queue, so a later multiple ack cannot cover it.
    private func recover(from error: any Error, on broker: AMQPConnection) {
        guard broker.isOpen else { return }
        logger.error("projection failed, returning unsettled deliveries", metadata: ["error.detail": "\(String(reflecting: error))"])
        try? broker.send(settlement.settleAll(with: .nack(requeue: true)))
        held = []
        unsentDeadLetters = []
        consumer.status.unsentDeadLetters(0)
    }

    // MARK: - Consuming

    /// Adds what arrives within the gather window (at once if events are held) to `batch`. Messages
    /// that are not valid events go to the dead-letter queue.
    private func gather(into batch: inout [Event], from broker: AMQPConnection) throws {
        let first = batch.isEmpty ? Duration.milliseconds(250) : .zero
        var gathered: ContinuousClock.Instant?
        while batch.count < options.maxBatch {
            let wait = gathered.map { max(.zero, $0 - .now) } ?? first
            guard let delivery = try broker.nextDelivery(timeout: wait) else { return }
            gathered = gathered ?? .now + options.gatherWindow
            settlement.received(delivery.tag.value)
            counters.consumed.increment()
            do {
                batch.append((delivery, try ProjectedEvent(routingKey: delivery.routingKey, body: delivery.body)))
            } catch {
                try deadLetter(delivery, reason: error.description, on: broker)
            }
        }
    }

    private func project(_ batch: [Event], on broker: AMQPConnection) throws {
        let report = applier.apply(batch.map(\.event))
        try broker.send(settlement.settle(report.applied.map { batch[$0].delivery.tag.value }, with: .ack))
        counters.applied.increment(by: report.inserted)
        counters.duplicates.increment(by: report.applied.count - report.inserted)
        recordLag(report.applied.compactMap { batch[$0].event.order })
        for (index, reason) in report.rejected {
            try deadLetter(batch[index].delivery, reason: reason, on: broker)
        }
        held = report.held.map { batch[$0] }
        if held.isEmpty {
            let failures = holding.succeeded()
            if failures > 0 {
                logger.info("projection applying events again", metadata: ["retry.attempts": "\(failures)"])
            }
            holdingSince = nil
            consumer.status.holding(nil)
            counters.held.record(0)
        } else if let (key, detail) = report.holdReason {
            holdingReason = (key, detail)
        }
    }

    /// Waits before trying the held events again, keeping the broker connection serviced.
    private func hold() {
        let (key, detail) = holdingReason ?? ("unknown", "unknown")
        let (delay, change) = holding.failed(reason: key)
        let since = holdingSince ?? .now
        holdingSince = since
        counters.holds.increment()
        counters.held.record(held.count)
        consumer.status.holding(.init(events: held.count, reason: detail, since: since))
        if change != .unchanged {
            logger.warning(
                "read model cannot take events now, holding them unacked and retrying with backoff",
                metadata: [
                    "projection.held": "\(held.count)", "reason": "\(key)", "error.detail": "\(detail)",
                    "retry.delay_ms": "\(delay / .milliseconds(1))",
                ])
        }
        session.sleep(delay)
    }

    private func recordLag(_ orders: [StoredBuyOrder]) {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        for order in orders {
            if let created = RFC3339Timestamp(parsing: order.createdAt[...]) {
                counters.lag.recordNanoseconds(max(0, now - created.microseconds) * 1_000)
            }
        }
    }
}
