import Core
import Foundation
import Logging
import Metrics

/// Dead letters: published on their own connection, and swept back from the dead-letter queue.
extension ProjectionLoop {
    /// Sends `delivery` to the dead-letter queue with `reason`, and acks it once the dead letter is
    /// confirmed. Until then it stays unsettled and is tried again after a growing pause.
    func deadLetter(_ delivery: AMQPDelivery, reason: String, on broker: AMQPConnection) throws {
        logger.warning(
            "event dead-lettered", metadata: ["amqp.message_id": "\(delivery.messageID ?? "-")", "reason": "\(reason)"])
        unsentDeadLetters.append((delivery, reason))
        try retryDeadLetters(on: broker)
    }

    func retryDeadLetters(on broker: AMQPConnection) throws {
        guard !unsentDeadLetters.isEmpty, ContinuousClock.now >= deadLetterRetryAt else { return }
        while let (delivery, reason) = unsentDeadLetters.first {
            do {
                try deadLetters.publish(delivery, reason: reason)
            } catch {
                counters.deadLetterFailures.increment()
                let (delay, change) = deadLetterFailures.failed(reason: "\((error as? AMQPError)?.code ?? .protocolError)")
                deadLetterRetryAt = .now + delay
                consumer.status.unsentDeadLetters(unsentDeadLetters.count)
                if change != .unchanged {
                    logger.warning(
                        "dead letters not confirmed by the broker, holding the messages unacked",
                        metadata: [
                            "projection.unsent_dead_letters": "\(unsentDeadLetters.count)",
                            "error.detail": "\(String(reflecting: error))", "retry.delay_ms": "\(delay / .milliseconds(1))",
                        ])
                }
                return
            }
            unsentDeadLetters.removeFirst()
            try broker.send(settlement.settle([delivery.tag.value], with: .ack))
            counters.deadLettered.increment()
        }
        if deadLetterFailures.succeeded() > 0 { logger.info("dead letters confirmed by the broker again") }
        consumer.status.unsentDeadLetters(0)
    }

    /// Every `deadLetterSweepInterval` (and once connected), applies what waits in the dead-letter queue.
    func sweepIfDue() {
        guard ContinuousClock.now >= nextSweep else { return }
        nextSweep = .now + options.deadLetterSweepInterval
        let sweep: DeadLetterQueue.Sweep?
        do {
            sweep = try deadLetters.sweep(applying: applier)
        } catch {
            logger.warning("dead-letter sweep failed", metadata: ["error.detail": "\(String(reflecting: error))"])
            return
        }
        guard let sweep else { return }
        counters.parked.record(sweep.parked)
        consumer.status.parkedDeadLetters(sweep.parked)
        if !sweep.recovered.isEmpty {
            counters.recovered.increment(by: sweep.recovered.count)
            counters.applied.increment(by: sweep.inserted)
            counters.duplicates.increment(by: sweep.recovered.count - sweep.inserted)
            let reasons = Dictionary(grouping: sweep.recovered, by: \.reason).mapValues(\.count)
            logger.warning(
                "dead-lettered events recovered: applied to the read model",
                metadata: [
                    "projection.recovered": "\(sweep.recovered.count)",
                    "amqp.message_ids": "\(sweep.recovered.prefix(20).map(\.messageID).joined(separator: ","))",
                    "reason": "\(reasons.map { "\($0.key) (\($0.value))" }.sorted().joined(separator: "; "))",
                ])
        }
        if let held = sweep.held {
            logger.warning("dead-lettered events could not be applied now", metadata: ["error.detail": "\(held)"])
        }
    }
}
