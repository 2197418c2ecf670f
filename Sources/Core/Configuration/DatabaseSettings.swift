import Foundation

/// A PostgreSQL database, the size of the pool that reaches it, and what each connection is opened with.
public struct DatabaseSettings: Sendable {
    /// One host, or several that libpq tries in turn (the multi-host form), picking one by
    /// `target_session_attrs`: the URL's own, else `options.targetSessionAttributes`.
    public var url: PostgresURL
    public var poolSize: Int
    public var options: ConnectionOptions

    public init(url: PostgresURL, poolSize: Int = DatabaseSettings.defaultPoolSize, options: ConnectionOptions = .services) {
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
    /// Its sessions are read-write unless the URL says otherwise: of several hosts, the primary.
    public static func write(_ environment: EnvironmentReader) throws -> DatabaseSettings {
        try read(environment, url: "WRITE_DB_URL", default: defaultWriteURL, poolSize: "WRITE_DB_POOL_SIZE", writes: true)
    }

    /// The read database from `READ_DB_URL`, `READ_DB_POOL_SIZE` and the `DB_*` connection settings.
    /// `writes`: the caller writes to it (read-model-sync, migrate), so its sessions are read-write
    /// unless the URL says otherwise; a reader (fetch-buy-orders) takes the first host that answers,
    /// or what the URL's `target_session_attrs` asks for (`prefer-standby`).
    public static func read(_ environment: EnvironmentReader, writes: Bool = true) throws -> DatabaseSettings {
        try read(environment, url: "READ_DB_URL", default: defaultReadURL, poolSize: "READ_DB_POOL_SIZE", writes: writes)
    }

    private static func read(
        _ environment: EnvironmentReader, url: String, default defaultURL: String, poolSize: String, writes: Bool
    ) throws -> DatabaseSettings {
        var options = try ConnectionOptions(environment)
        options.targetSessionAttributes = writes ? "read-write" : nil
        return DatabaseSettings(
            url: try environment.postgresURL(url, default: defaultURL),
            poolSize: try environment.integer(poolSize, default: defaultPoolSize, in: 1...256),
            options: options
        )
    }

    /// For tools (migrate, read-model-sync verify and rebuild, buyorders-admin): the same database and
    /// choice of server, without the services' statement and lock timeouts.
    public var forTools: DatabaseSettings {
        var settings = self
        settings.options.statementTimeout = nil
        settings.options.lockTimeout = nil
        return settings
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
            lockTimeout: try milliseconds("DB_LOCK_TIMEOUT_MS", default: defaults.lockTimeout, in: 0...86_400_000),
            serverSettings: defaults.serverSettings
        )
    }
}
