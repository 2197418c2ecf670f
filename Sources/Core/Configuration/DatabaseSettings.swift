import Foundation

/// A PostgreSQL database and the size of the pool that reaches it.
public struct DatabaseSettings: Sendable {
    public var url: URL
    public var poolSize: Int

    public init(url: URL, poolSize: Int = DatabaseSettings.defaultPoolSize) {
        self.url = url
        self.poolSize = poolSize
    }

    /// Twice the CPU cores: more connections than that only add thread switches (bench/fetch_buy_orders.sh
    /// on 2 cores: about 9,600 pages/s with 4 connections, 6,000 to 7,000 with 8).
    public static let defaultPoolSize = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)

    public static let defaultWriteURL = "postgresql://postgres@127.0.0.1:5432/write_model"
    public static let defaultReadURL = "postgresql://postgres@127.0.0.1:5432/read_model"

    /// The write database from `WRITE_DB_URL` and `WRITE_DB_POOL_SIZE`.
    public static func write(_ environment: EnvironmentReader) throws -> DatabaseSettings {
        try read(environment, url: "WRITE_DB_URL", default: defaultWriteURL, poolSize: "WRITE_DB_POOL_SIZE")
    }

    /// The read database from `READ_DB_URL` and `READ_DB_POOL_SIZE`.
    public static func read(_ environment: EnvironmentReader) throws -> DatabaseSettings {
        try read(environment, url: "READ_DB_URL", default: defaultReadURL, poolSize: "READ_DB_POOL_SIZE")
    }

    private static func read(_ environment: EnvironmentReader, url: String, default defaultURL: String, poolSize: String)
        throws -> DatabaseSettings
    {
        DatabaseSettings(
            url: try environment.url(url, default: defaultURL, schemes: ["postgresql", "postgres"]),
            poolSize: try environment.integer(poolSize, default: defaultPoolSize, in: 1...256)
        )
    }
}
