import Core
import Logging
import Metrics
import ServiceLifecycle

/// Deletes idempotency keys older than the retention (`IDEMPOTENCY_KEY_RETENTION_H`), oldest first,
/// every `interval`: in batches of at most `batchSize` keys, each its own short transaction, with a
/// rest after each batch `restFactor` times as long as the batch took (at least `pause`): by default the
/// purge keeps at most a twentieth of one database session busy, and slows down by itself when the
/// database is loaded, so that a backlog is worked off without slowing order creation (bench/create_buy_orders.sh
/// BENCH_SEED_KEYS). It never touches `btc_total`, and it skips keys another session has locked,
/// so it holds no lock an order's transaction waits for longer than one batch's delete; once a key is
/// gone, the same key makes a new order. Several instances may purge at once.
final class IdempotencyKeyPurge: Service, Sendable {
    struct Settings: Sendable {
        var retention = Duration.seconds(168 * 3600)
        var interval = Duration.seconds(60)
        var batchSize = 1000
        var pause = Duration.milliseconds(50)
        var restFactor = 19
    }

    private let database: PostgresClient
    private let settings: Settings
    private let logger: Logger
    private let purged: Counter

    init(database: PostgresClient, settings: Settings, logger: Logger, metrics: any MetricsFactory) {
        self.database = database
        self.settings = settings
        self.logger = logger
        self.purged = Counter(label: "idempotency_keys_purged_total", factory: metrics)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastFailure: String?
            // The first purge waits one interval too: a starting instance has other work for its database.
            while (try? await Task.sleep(for: self.settings.interval)) != nil {
                do {
                    let count = try await self.purge()
                    if count > 0 { self.logger.info("idempotency keys purged", metadata: ["idempotency.purged": "\(count)"]) }
                    lastFailure = nil
                } catch is CancellationError {
                    return
                } catch {
                    let reason = (error as? PostgresError)?.debugDescription ?? "\(error)"
                    if reason != lastFailure {
                        self.logger.warning(
                            "idempotency key purge failed, retrying at the next interval", metadata: ["error.detail": "\(reason)"])
                    }
                    lastFailure = reason
                }
            }
        }
    }

    /// Deletes every key past the retention, batch by batch; returns how many.
    func purge() async throws -> Int {
        var total = 0
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            let deleted = try await database.withConnection { [settings] connection in
                try Self.deleteBatch(settings, on: connection)
            }
            purged.increment(by: deleted)
            total += deleted
            guard deleted == settings.batchSize else { break }
            try await Task.sleep(for: max(settings.pause, (clock.now - started) * settings.restFactor))
        }
        return total
    }

    /// One batch: the oldest expired keys that no other session holds, by the index on `created_at`,
    /// through `purge_idempotency_keys` (write model 0013 and 0014: the row locks need a right this
    /// role has not); returns how many were deleted.
    static func deleteBatch(_ settings: Settings, on connection: PostgresConnection) throws -> Int {
        let retention = "\(Int64(settings.retention / .milliseconds(1))) milliseconds"
        let row = try connection.query(
            "SELECT purge_idempotency_keys(\(retention)::interval, \(String(settings.batchSize))::integer) AS deleted"
        ).first
        return Int(row?["deleted"] ?? "") ?? 0
    }
}
