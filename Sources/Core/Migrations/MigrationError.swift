/// Why a migration run stopped.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unknownDependency(migration: String, dependency: String)
    case dependencyCycle(ids: [String])
    case failed(file: String, databaseError: String)
    case noRollback(migration: String)
    /// The `yoyo_lock` row of another run stayed for the whole lock timeout.
    case lockHeld(MigrationLock.Holder, expirySeconds: Int)
    /// Another run of this tool kept the advisory lock for the whole lock timeout.
    case migrateRunActive(waitedSeconds: Int)
    case databaseUnavailable(url: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .unknownDependency(let migration, let dependency):
            "migration \(migration) depends on \(dependency), which does not exist"
        case .dependencyCycle(let ids): "migrations depend on each other in a cycle: \(ids.joined(separator: ", "))"
        case .failed(let file, let databaseError): "\(file) failed, nothing of it was applied: \(databaseError)"
        case .noRollback(let migration): "migration \(migration) has no .rollback.sql file"
        case .lockHeld(let holder, let expiry):
            """
            yoyo_lock is held by \(holder): another migrate or yoyo run is active, or one was killed. \
            The lock expires when \(expiry) s old (--lock-expiry); if no run is active, `migrate break-lock` breaks it now
            """
        case .migrateRunActive(let seconds):
            "another migrate run is working on this database (it holds the migration advisory lock); waited \(seconds) s"
        case .databaseUnavailable(let url, let reason): "database \(url) is not reachable: \(reason)"
        }
    }
}
