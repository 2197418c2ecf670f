import Core
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Publishes committed outbox events to RabbitMQ and deletes them once the broker confirmed them.
///
/// One thread owns a libpq connection (which LISTENs for the commit signal, with a slow poll as a
/// safety net) and an AMQP connection. Each cycle claims unsent rows with SKIP LOCKED, so several
/// instances never publish the same row at once, publishes them with confirms, and deletes the
/// confirmed ones in the same transaction. While RabbitMQ is down, nothing is deleted and the
/// backlog drains when it returns.
final class OutboxRelay: Service, Sendable {
    private let databaseURL: URL
    private let connector: AMQPConnector
    private let batchSize: Int
    private let pollInterval: Duration
    private let logger: Logger
    private let published = Counter(label: "outbox_published_total")
    private let backlog = Gauge(label: "outbox_backlog")
    private let oldestAge = Gauge(label: "outbox_oldest_age_seconds")

    init(databaseURL: URL, connector: AMQPConnector, batchSize: Int = 500, pollInterval: Duration = .seconds(1), logger: Logger) {
        self.databaseURL = databaseURL
        self.connector = connector
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.logger = logger
    }

    func run() async throws {
        await BlockingLoop.run(name: "outbox-relay") { stop in self.loop(stop) }
    }

    private func loop(_ stop: StopFlag) {
        var database: PostgresConnection?
        var broker: AMQPConnection?
        var lastFailure: String?
        var lastMetrics = ContinuousClock.now - .seconds(10)
        while !stop.isSet {
            do {
                if database == nil {
                    let connection = try PostgresConnection(url: databaseURL)
                    try connection.query(PostgresQuery(unsafeSQL: "LISTEN \(OrderStore.outboxChannel)"))
                    database = connection
                }
                if broker == nil { broker = try connector.connect(retrying: AMQPRetryPolicy(maxAttempts: 1)) }
                let count = try relayOnce(database!, broker!)
                if lastFailure != nil {
                    logger.info("outbox relay recovered")
                    lastFailure = nil
                }
                if ContinuousClock.now - lastMetrics > .seconds(1) {
                    try recordBacklog(database!)
                    lastMetrics = ContinuousClock.now
                }
                if count < batchSize {
                    _ = try database!.waitForNotifications(timeout: min(Double(pollInterval.components.seconds) + 0.001, 0.5))
                }
            } catch {
                let reason = (error as? PostgresError)?.debugDescription ?? "\(error)"
                if reason != lastFailure {
                    logger.warning("outbox relay failing, will retry", metadata: ["error.detail": "\(reason)"])
                    lastFailure = reason
                }
                if !(database?.isIdle ?? false) { database = nil }
                if !(broker?.isOpen ?? false) { broker = nil }
                stop.sleep(.seconds(1))
            }
        }
        broker?.close()
    }

    /// One claim → publish → confirm → delete cycle; returns how many rows were claimed.
    private func relayOnce(_ database: PostgresConnection, _ broker: AMQPConnection) throws -> Int {
        try database.transaction { database in
            let rows = try database.query(
                prepared: """
                    SELECT ob.sequence AS outbox_sequence, ob.event_id::text AS event_id, ob.routing_key,
                        ob.payload::text AS payload, \(unsafeSQL: StoredBuyOrder.columns)
                    FROM outbox ob LEFT JOIN buy_order o ON o.id = ob.buy_order_id
                    ORDER BY ob.sequence LIMIT \(batchSize) FOR UPDATE OF ob SKIP LOCKED
                    """)
            guard !rows.isEmpty else { return 0 }
            var sequences: [Int64] = []
            var messages: [AMQPMessage] = []
            for row in rows {
                sequences.append(try row.int("outbox_sequence"))
                messages.append(
                    AMQPMessage(
                        exchange: connector.topology?.exchange ?? AMQPTopology().exchange,
                        routingKey: try row.text("routing_key"), body: Array(try Self.body(of: row).utf8),
                        messageID: try row.text("event_id")))
            }
            let outcomes = try broker.publishBatch(messages)
            let confirmed = zip(sequences, outcomes).filter { $0.1 == .confirmed }.map(\.0)
            if !confirmed.isEmpty {
                try database.query(prepared: "DELETE FROM outbox WHERE sequence = ANY(\(confirmed)::bigint[])")
            }
            published.increment(by: confirmed.count)
            if confirmed.count < sequences.count {
                logger.warning("events not confirmed by the broker stay unsent", metadata: ["outbox.unconfirmed": "\(sequences.count - confirmed.count)"])
            }
            return rows.count
        }
    }

    /// The event as stored, or rendered from the order the row references.
    private static func body(of row: PostgresRow) throws -> String {
        if let payload = row["payload"] { return payload }
        guard let eventID = UUID(text: try row.text("event_id")) else {
            throw PostgresError(code: .other, message: "outbox.event_id is unreadable")
        }
        return BuyOrderCreatedEvent(eventID: eventID, order: try StoredBuyOrder(row: row)).json
    }

    private func recordBacklog(_ database: PostgresConnection) throws {
        let row = try database.query(
            prepared: """
                SELECT count(*) AS backlog,
                       coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint AS oldest
                FROM outbox
                """
        ).first
        backlog.record(Int64(row?["backlog"] ?? "0") ?? 0)
        oldestAge.record(Int64(row?["oldest"] ?? "0") ?? 0)
    }
}
