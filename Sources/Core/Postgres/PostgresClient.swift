import Foundation
import Logging
import ServiceLifecycle

/// A bounded pool of PostgreSQL connections; a Service so that shutdown closes it.
///
/// A connection that broke (PostgreSQL restarted, network cut) is dropped after use,
/// so the next caller connects afresh and the service recovers by itself.
public final class PostgresClient: Service, Sendable {
    public let settings: DatabaseSettings
    private let pool: ResourcePool<PostgresConnection>
    private let logger: Logger

    public init(settings: DatabaseSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let url = settings.url
        self.pool = ResourcePool(
            capacity: settings.poolSize,
            make: { try PostgresConnection(url: url) },
            isReusable: { $0.isIdle }
        )
    }

    /// Runs blocking work with one connection, on a pool thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws
        -> T
    {
        try await pool.withResource(body)
    }

    /// Runs blocking work inside one transaction; an error rolls it back.
    public func withTransaction<T: Sendable>(
        isolation: String? = nil,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await pool.withResource { connection in try connection.transaction(isolation: isolation, body) }
    }

    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try $0.query(query) }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    public func close() async {
        await pool.close()
        logger.debug("postgres pool closed", metadata: ["db.url.host": "\(settings.url.host ?? "")"])
    }
}
