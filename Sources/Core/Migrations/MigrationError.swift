/// Why a migration run stopped.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unknownDependency(migration: String, dependency: String)
    case dependencyCycle(ids: [String])
    case failed(file: String, databaseError: String)
    case noRollback(migration: String)
    case lockTimeout(seconds: Int)
    case databaseUnavailable(url: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .unknownDependency(let migration, let dependency):
            "migration \(migration) depends on \(dependency), which does not exist"
        case .dependencyCycle(let ids): "migrations depend on each other in a cycle: \(ids.joined(separator: ", "))"
        case .failed(let file, let databaseError): "\(file) failed, nothing of it was applied: \(databaseError)"
        case .noRollback(let migration): "migration \(migration) has no .rollback.sql file"
        case .lockTimeout(let seconds): "another migrate run held yoyo_lock for over \(seconds) s"
        case .databaseUnavailable(let url, let reason): "database \(url) is not reachable: \(reason)"
        }
    }
}
