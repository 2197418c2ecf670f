extension Problem {
    /// The 503 (with `Retry-After`) for an error that means the service cannot answer now, but may soon:
    /// its database is unreachable, busy, too slow or read-only (a standby, during a failover), or the
/// service is shutting down. Nil for any other
    /// error. `consequence` is added to the detail ("nothing was stored").
    public static func unavailable(for error: any Error, retryAfterSeconds: Int = 1, consequence: String? = nil)
        -> Problem?
    {
        let reason: String
        switch error {
        case let error as PostgresError where error.isConnectionFailure:
            reason = "the database is not reachable"
        case let error as PostgresError where error.code == .lockNotAvailable:
            reason = "the database is busy: a lock was not granted in time"
        case let error as PostgresError where error.code == .queryCanceled:
            reason = "the database did not answer in time"
        case let error as PostgresError where error.code == .readOnly:
            reason = "the database takes no writes now (a failover to another server)"
        case is PoolClosedError, is CancellationError:
            reason = "the service is shutting down"
        default:
            return nil
        }
        return .unavailable([reason, consequence].compactMap { $0 }.joined(separator: "; "), retryAfterSeconds: retryAfterSeconds)
    }
}
