import Foundation

/// The two locks a migration run holds on its database, and what happens to one a killed run left.
///
/// - A session advisory lock lets one run of this tool at a time work on a database. PostgreSQL
///   releases it when the session ends, a run killed with SIGKILL included.
/// - The `yoyo_lock` row keeps the Python `yoyo` tool out too. A killed run leaves it behind. A row
///   found while holding the advisory lock was left by a run of this tool that died, or belongs to a
///   `yoyo` run; it is waited for up to `timeout`, and taken over once it is `expiry` old. `migrate
///   break-lock` removes it at once.
public struct MigrationLock: Sendable {
    /// How long to wait for another run to finish.
    public var timeout: Duration
    /// When a `yoyo_lock` row counts as abandoned (by the database's clock, from its `ctime`).
    public var expiry: Duration

    public static let defaultTimeout = Duration.seconds(30)
    public static let defaultExpiry = Duration.seconds(600)

    public init(timeout: Duration = defaultTimeout, expiry: Duration = defaultExpiry) {
        self.timeout = timeout
        self.expiry = expiry
    }

    /// The `yoyo_lock` row of a run: the process id it recorded and when it took the lock.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public let pid: Int
        /// `ctime`, UTC as yoyo stores it, in PostgreSQL's text form.
        public let since: String?
        public let ageSeconds: Int

        public var description: String { "pid \(pid) since \(since.map { "\($0) UTC" } ?? "an unknown time") (\(ageSeconds) s ago)" }
    }

    /// Takes both locks on `connection`, creating the bookkeeping tables if missing, runs `body`, and
    /// releases them. `tookOver` hears of each expired `yoyo_lock` row it removed.
    func holding<T>(
        _ connection: PostgresConnection, bookkeeping: String, tookOver: (Holder) -> Void, _ body: () throws -> T
    ) throws -> T {
        let deadline = ContinuousClock.now + timeout
        try Self.noticeDeadClients(connection)
        try acquireAdvisoryLock(connection, until: deadline)
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))") }
        try connection.execute(script: bookkeeping)
        try acquireYoyoLock(connection, until: deadline, tookOver: tookOver)
        defer { _ = try? connection.query("DELETE FROM yoyo_lock WHERE pid = \(Int(getpid()))") }
        return try body()
    }

    /// Removes the `yoyo_lock` row, once no run of this tool is active; returns what it held, nil if none.
    func breakYoyoLock(_ connection: PostgresConnection) throws -> Holder? {
        try acquireAdvisoryLock(connection, until: ContinuousClock.now + timeout)
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))") }
        guard let holder = try Self.holder(connection) else { return nil }
        try Self.remove(holder, connection)
        return holder
    }

    // MARK: - Advisory lock

    private static let advisoryLockKey = 0x796F796F  // "yoyo"

    /// A killed client's backend would otherwise run its statement to the end, holding the advisory
    /// lock; PostgreSQL 14 and later check the socket every second instead. Older servers lack the setting.
    private static func noticeDeadClients(_ connection: PostgresConnection) throws {
        do {
            try connection.query("SET client_connection_check_interval = 1000")
        } catch let error as PostgresError where error.sqlState == "42704" {
        }
    }

    private func acquireAdvisoryLock(_ connection: PostgresConnection, until deadline: ContinuousClock.Instant) throws {
        while try connection.query("SELECT pg_try_advisory_lock(\(Self.advisoryLockKey)) AS locked").first?["locked"] != "t" {
            guard ContinuousClock.now < deadline else {
                throw MigrationError.migrateRunActive(waitedSeconds: Int(timeout.components.seconds))
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    // MARK: - yoyo_lock

    private func acquireYoyoLock(
        _ connection: PostgresConnection, until deadline: ContinuousClock.Instant, tookOver: (Holder) -> Void
    ) throws {
        while true {
            do {
                try connection.query(
                    "INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now() AT TIME ZONE 'utc', \(Int(getpid())))")
                return
            } catch let error as PostgresError where error.code == .uniqueViolation {
                // No row any more: its holder released it meanwhile; try again.
                guard let holder = try Self.holder(connection) else { continue }
                if holder.ageSeconds >= Int(expiry.components.seconds) {
                    try Self.remove(holder, connection)
                    tookOver(holder)
                    continue
                }
                guard ContinuousClock.now < deadline else {
                    throw MigrationError.lockHeld(holder, expirySeconds: Int(expiry.components.seconds))
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// The row, nil if there is none (or no `yoyo_lock` table yet).
    private static func holder(_ connection: PostgresConnection) throws -> Holder? {
        let rows: PostgresRows
        do {
            rows = try connection.query(
                """
                SELECT pid::text AS pid, ctime::text AS since,
                       coalesce(floor(extract(epoch FROM (now() AT TIME ZONE 'utc') - ctime)), 0)::bigint::text AS age
                FROM yoyo_lock LIMIT 1
                """)
        } catch let error as PostgresError where error.code == .undefinedTable {
            return nil
        }
        guard let row = rows.first else { return nil }
        return Holder(pid: Int(try row.int("pid")), since: row["since"], ageSeconds: Int(try row.int("age")))
    }

    /// Deletes exactly that row, so a run that took the lock meanwhile keeps it.
    private static func remove(_ holder: Holder, _ connection: PostgresConnection) throws {
        try connection.query(
            "DELETE FROM yoyo_lock WHERE pid = \(holder.pid) AND ctime IS NOT DISTINCT FROM \(holder.since)::timestamp")
    }
}
