import Core
import Foundation

// The tests name their databases with Foundation URLs (one host each); the services take a
// `PostgresURL`, which also holds libpq's multi-host form.

extension PostgresURL {
    /// The URI of a test database; a URL the tests made is always one.
    public init(testURL url: URL) {
        do {
            try self.init(url.absoluteString)
        } catch {
            preconditionFailure("not a PostgreSQL URL: \(url.redactingPassword): \(error)")
        }
    }
}

extension DatabaseSettings {
    public init(url: URL, poolSize: Int = DatabaseSettings.defaultPoolSize, options: ConnectionOptions = .services) {
        self.init(url: PostgresURL(testURL: url), poolSize: poolSize, options: options)
    }
}

extension PostgresConnection {
    /// A connection as the tools open one (no statement or lock timeout).
    public convenience init(url: URL) throws {
        try self.init(url: PostgresURL(testURL: url))
    }
}
