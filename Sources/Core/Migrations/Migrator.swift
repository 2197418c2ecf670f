import Foundation
import Logging

/// Applies and rolls back a `MigrationSet` on one connection, keeping yoyo-migrations' v2 bookkeeping
/// (`_yoyo_migration`, `_yoyo_log`, `_yoyo_version`, `yoyo_lock`) so the Python `yoyo` tool agrees.
///
/// Blocking: run it on a thread that may block (the `migrate` command, or a pool thread).
public struct Migrator {
    public struct Entry: Sendable, Equatable {
        public let id: String
        /// When it was applied (UTC, as yoyo stores it), nil while pending.
        public let appliedAt: String?
    }

    private let migrations: MigrationSet
    private let connection: PostgresConnection
    private let logger: Logger
    private let lock: MigrationLock
    private let onExpiredLock: (MigrationLock.Holder) -> Void

    /// `onExpiredLock` hears of each `yoyo_lock` row, left by a killed run, that this run took over.
    public init(
        migrations: MigrationSet, connection: PostgresConnection, logger: Logger, lock: MigrationLock = MigrationLock(),
        onExpiredLock: @escaping (MigrationLock.Holder) -> Void = { _ in }
    ) {
        self.migrations = migrations
        self.connection = connection
        self.logger = logger
        self.lock = lock
        self.onExpiredLock = onExpiredLock
    }

    /// Every migration of the set, applied or pending, in apply order.
    public func status() throws -> [Entry] {
        try locked {
            let applied = try appliedMigrations()
            return migrations.migrations.map { Entry(id: $0.id, appliedAt: applied[$0.id]) }
        }
    }

    /// Applies every pending migration, each in its own transaction; returns the ids applied.
    @discardableResult
    public func apply() throws -> [String] {
        try locked {
            let applied = try appliedMigrations()
            var done: [String] = []
            for migration in migrations.migrations where applied[migration.id] == nil {
                try run(migration, sql: migration.apply, operation: "apply")
                done.append(migration.id)
            }
            return done
        }
    }

    /// Rolls back the `count` most recently ordered applied migrations; returns the ids rolled back.
    @discardableResult
    public func rollback(count: Int = 1) throws -> [String] {
        try locked {
            let applied = try appliedMigrations()
            let targets = migrations.migrations.reversed().filter { applied[$0.id] != nil }.prefix(count)
            for migration in targets where migration.rollback == nil {
                throw MigrationError.noRollback(migration: migration.id)
            }
            for migration in targets {
                try run(migration, sql: migration.rollback!, operation: "rollback")
            }
            return targets.map(\.id)
        }
    }

    // MARK: - One migration

    private func run(_ migration: Migration, sql: String, operation: String) throws {
        do {
            try connection.transaction { connection in
                try connection.execute(script: sql)
                if operation == "apply" {
                    try connection.query(
                        """
                        INSERT INTO _yoyo_migration (migration_hash, migration_id, applied_at_utc)
                        VALUES (\(Self.hash(migration.id)), \(migration.id), now() AT TIME ZONE 'utc')
                        """)
                } else {
                    try connection.query(
                        "DELETE FROM _yoyo_migration WHERE migration_hash = \(Self.hash(migration.id)) AND migration_id = \(migration.id)"
                    )
                }
                try connection.query(
                    """
                    INSERT INTO _yoyo_log (id, migration_hash, migration_id, operation, username, hostname, created_at_utc)
                    VALUES (gen_random_uuid()::text, \(Self.hash(migration.id)), \(migration.id), \(operation),
                            \(ProcessInfo.processInfo.environment["USER"] ?? "unknown"),
                            \(ProcessInfo.processInfo.hostName), now() AT TIME ZONE 'utc')
                    """)
            }
        } catch let error as PostgresError {
            throw MigrationError.failed(file: operation == "apply" ? migration.file : "\(migration.id).rollback.sql",
                                        databaseError: error.debugDescription)
        }
        logger.info("migration \(operation == "apply" ? "applied" : "rolled back")", metadata: ["migration.id": "\(migration.id)"])
    }

    /// yoyo's migration hash: the sha256 hex digest of the id, computed by PostgreSQL.
    private static func hash(_ id: String) -> PostgresQuery {
        "encode(sha256(convert_to(\(id)::text, 'UTF8')), 'hex')"
    }

    // MARK: - Bookkeeping and lock

    private func appliedMigrations() throws -> [String: String] {
        let rows = try connection.query("SELECT migration_id, applied_at_utc::text AS applied_at FROM _yoyo_migration")
        var applied: [String: String] = [:]
        for row in rows {
            applied[try row.text("migration_id")] = row["applied_at"] ?? ""
        }
        return applied
    }

    /// Creates the bookkeeping tables if missing and holds the locks (`MigrationLock`) while `body` runs.
    private func locked<T>(_ body: () throws -> T) throws -> T {
        try lock.holding(connection, bookkeeping: Self.bookkeeping, tookOver: { holder in
            logger.warning(
                "took over an expired yoyo_lock", metadata: ["lock.pid": "\(holder.pid)", "lock.age_s": "\(holder.ageSeconds)"])
            onExpiredLock(holder)
        }, body)
    }

    /// Removes a `yoyo_lock` row left by a killed run (`migrate break-lock`); returns what it held, nil if none.
    /// Refuses while a run of this tool is active.
    public static func breakLock(on connection: PostgresConnection, lock: MigrationLock = MigrationLock()) throws
        -> MigrationLock.Holder?
    {
        try lock.breakYoyoLock(connection)
    }

    private static let bookkeeping = """
        CREATE TABLE IF NOT EXISTS _yoyo_migration (
            migration_hash VARCHAR(64) PRIMARY KEY, migration_id VARCHAR(255), applied_at_utc TIMESTAMP);
        CREATE TABLE IF NOT EXISTS _yoyo_log (
            id VARCHAR(36) PRIMARY KEY, migration_hash VARCHAR(64), migration_id VARCHAR(255),
            operation VARCHAR(10), username VARCHAR(255), hostname VARCHAR(255), comment VARCHAR(255),
            created_at_utc TIMESTAMP);
        CREATE TABLE IF NOT EXISTS _yoyo_version (version INT NOT NULL PRIMARY KEY, installed_at_utc TIMESTAMP);
        INSERT INTO _yoyo_version (version, installed_at_utc) VALUES (2, now() AT TIME ZONE 'utc')
            ON CONFLICT DO NOTHING;
        CREATE TABLE IF NOT EXISTS yoyo_lock (locked INT DEFAULT 1 PRIMARY KEY, ctime TIMESTAMP, pid INT NOT NULL);
        """
}

extension Migrator {
    /// Connects to `database` (without the services' timeouts), retrying with backoff while the database
    /// is still starting, for up to `wait`.
    public static func connect(_ database: DatabaseSettings, wait: Duration, logger: Logger) throws -> PostgresConnection {
        let deadline = ContinuousClock.now + wait
        var delay = 0.2
        while true {
            do {
                return try PostgresConnection(settings: database.forTools)
            } catch let error as PostgresError {
                guard ContinuousClock.now + .milliseconds(Int(delay * 1000)) < deadline else {
                    throw MigrationError.databaseUnavailable(url: database.url.description, reason: error.message)
                }
                logger.info("database not reachable yet, retrying", metadata: ["retry.delay_s": "\(delay)"])
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
            }
        }
    }
}
