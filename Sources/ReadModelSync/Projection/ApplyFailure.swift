import Core

/// What a failure to apply events says about them, by SQLSTATE class. Only a failure about the
/// message may send it towards the dead-letter queue; a failure about the database holds the batch.
enum ApplyFailure: Equatable {
    /// Data exceptions and integrity violations (classes 22, 23): this message will always fail.
    case message
    /// The database cannot write now, whatever the message: it refuses writes (25), lacks resources (53),
    /// is stopping, timed out or was cancelled (57), waits for a lock (55), failed I/O (58), rolled back
    /// (40), is misconfigured (42), is broken (XX), or the connection is gone (08, or no SQLSTATE).
    case database
    /// Anything else (a trigger's exception, a program limit): about the message only when it fails
    /// alone while the messages beside it are applied.
    case unclear

    init(_ error: any Error) {
        guard let error = error as? PostgresError, let state = error.sqlState, state.count == 5 else {
            self = .database
            return
        }
        switch state.prefix(2) {
        case "22", "23": self = .message
        case "08", "25", "40", "42", "53", "55", "57", "58", "XX": self = .database
        default: self = .unclear
        }
    }
}

extension PostgresError {
    /// A short, stable name of the failure, for telling one cause of holding from another.
    var holdingReason: String { sqlState.map { "SQLSTATE \($0)" } ?? "\(code)" }
}
