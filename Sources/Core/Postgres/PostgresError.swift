/// A PostgreSQL failure, typed by SQLSTATE. `description` stays generic; `debugDescription` has the detail.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public enum Code: Equatable, Sendable {
        case uniqueViolation
        case checkViolation
        case foreignKeyViolation
        case notNullViolation
        case restrictViolation
        case serializationFailure
        case deadlockDetected
        case raisedException
        case undefinedTable
        case invalidText
        case numericValueOutOfRange
        /// Cancelled, by `statement_timeout` or a cancel request.
        case queryCanceled
        /// A lock was not granted within `lock_timeout`.
        case lockNotAvailable
        /// The server takes no writes (25006): a standby, or `default_transaction_read_only`.
        case readOnly
        /// Could not connect at all.
        case connectionFailed
        /// The connection broke while in use.
        case connectionLost
        case other

        init(sqlState: String?) {
            switch sqlState {
            case "23505": self = .uniqueViolation
            case "23514": self = .checkViolation
            case "23503": self = .foreignKeyViolation
            case "23502": self = .notNullViolation
            case "23001": self = .restrictViolation
            case "40001": self = .serializationFailure
            case "40P01": self = .deadlockDetected
            case "P0001": self = .raisedException
            case "42P01": self = .undefinedTable
            case "22P02": self = .invalidText
            case "22003": self = .numericValueOutOfRange
            case "57014": self = .queryCanceled
            case "55P03": self = .lockNotAvailable
            case PostgresError.readOnlySQLState: self = .readOnly
            case let state? where state.hasPrefix("08"): self = .connectionLost
            case "57P01", "57P02", "57P03": self = .connectionLost
            default: self = .other
            }
        }
    }

    /// read_only_sql_transaction.
    static let readOnlySQLState = "25006"

    public var code: Code
    public var sqlState: String?
    public var message: String
    public var constraint: String?

    public init(code: Code, sqlState: String? = nil, message: String, constraint: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
    }

    public var description: String { "PostgreSQL error (\(code))" }

    public var debugDescription: String {
        var text = "PostgreSQL error (\(code)) SQLSTATE \(sqlState ?? "-"): \(message)"
        if let constraint { text += " [constraint \(constraint)]" }
        return text
    }

    /// A transient failure where running the whole transaction again can succeed.
    public var isRetryable: Bool { code == .serializationFailure || code == .deadlockDetected }

    /// The database could not be reached, or the connection broke.
    public var isConnectionFailure: Bool { code == .connectionFailed || code == .connectionLost }

    /// A statement was cut by `statement_timeout` or `lock_timeout`.
    public var isTimeout: Bool { code == .queryCanceled || code == .lockNotAvailable }
}
