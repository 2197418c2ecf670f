import Foundation

/// A PostgreSQL database, the size of the pool that reaches it, and what each connection is opened with.
public struct DatabaseSettings: Sendable {
    public var url: URL
    public var poolSize: Int
    public var options: ConnectionOptions

    public init(url: URL, poolSize: Int = DatabaseSettings.defaultPoolSize, options: ConnectionOptions = .services) {
        self.url = url
        self.poolSize = poolSize
        self.options = options
    }

    /// Twice the CPU cores: more connections than that only add thread switches (bench/fetch_buy_orders.sh
    /// on 2 cores: about 9,600 pages/s with 4 connections, 6,000 to 7,000 with 8).
    public static let defaultPoolSize = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)

    public static let defaultWriteURL = "postgresql://postgres@127.0.0.1:5432/write_model"
    public static let defaultReadURL = "postgresql://postgres@127.0.0.1:5432/read_model"

    /// The write database from `WRITE_DB_URL`, `WRITE_DB_POOL_SIZE` and the `DB_*` connection settings.
    public static func write(_ environment: EnvironmentReader) throws -> DatabaseSettings {
        try read(environment, url: "WRITE_DB_URL", default: defaultWriteURL, poolSize: "WRITE_DB_POOL_SIZE")
    }

    /// The read database from `READ_DB_URL`, `READ_DB_POOL_SIZE` and the `DB_*` connection settings.
    public static func read(_ environment: EnvironmentReader) throws -> DatabaseSettings {
        try read(environment, url: "READ_DB_URL", default: defaultReadURL, poolSize: "READ_DB_POOL_SIZE")
    }

    private static func read(_ environment: EnvironmentReader, url: String, default defaultURL: String, poolSize: String)
        throws -> DatabaseSettings
    {
        DatabaseSettings(
            url: try environment.url(url, default: defaultURL, schemes: ["postgresql", "postgres"]),
            poolSize: try environment.integer(poolSize, default: defaultPoolSize, in: 1...256),
            options: try ConnectionOptions(environment)
        )
    }
}

extension ConnectionOptions {
    /// The services' connection settings from `DB_CONNECT_TIMEOUT_S`, `DB_STATEMENT_TIMEOUT_MS`,
    /// `DB_LOCK_TIMEOUT_MS` (0: no limit), `DB_KEEPALIVES_IDLE_S`, `DB_KEEPALIVES_INTERVAL_S`,
    /// `DB_KEEPALIVES_COUNT` and `DB_TCP_USER_TIMEOUT_MS` (0: the kernel's default).
    public init(_ environment: EnvironmentReader) throws {
        let defaults = ConnectionOptions.services
        func milliseconds(_ name: String, default value: Duration?, in range: ClosedRange<Int>) throws -> Duration? {
            let number = try environment.integer(name, default: value?.wholeMilliseconds ?? 0, in: range)
            return number == 0 ? nil : .milliseconds(number)
        }
        self.init(
            connectTimeout: .seconds(
                try environment.integer("DB_CONNECT_TIMEOUT_S", default: defaults.connectTimeout.wholeSeconds, in: 2...300)),
            keepalivesIdle: .seconds(
                try environment.integer("DB_KEEPALIVES_IDLE_S", default: defaults.keepalivesIdle.wholeSeconds, in: 1...7200)),
            keepalivesInterval: .seconds(
                try environment.integer(
                    "DB_KEEPALIVES_INTERVAL_S", default: defaults.keepalivesInterval.wholeSeconds, in: 1...600)),
            keepalivesCount: try environment.integer("DB_KEEPALIVES_COUNT", default: defaults.keepalivesCount, in: 1...100),
            tcpUserTimeout: .milliseconds(
                try environment.integer(
                    "DB_TCP_USER_TIMEOUT_MS", default: defaults.tcpUserTimeout.wholeMilliseconds, in: 0...3_600_000)),
            statementTimeout: try milliseconds(
                "DB_STATEMENT_TIMEOUT_MS", default: defaults.statementTimeout, in: 0...86_400_000),
            lockTimeout: try milliseconds("DB_LOCK_TIMEOUT_MS", default: defaults.lockTimeout, in: 0...86_400_000)
        )
    }
}
