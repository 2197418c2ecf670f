import Foundation
import Logging
import ServiceLifecycle

/// A bounded pool of PostgreSQL connections; a Service so that shutdown closes it.
///
/// A connection that broke (PostgreSQL restarted, network cut) is dropped, found either when it is
/// checked out again or after its use, so the next caller connects afresh and the service recovers by
/// itself; so is one whose server refused a write (a standby), so that libpq picks a read-write host of
/// the URL for the next. While the database is unreachable, new connections fail at once (see
/// `PostgresConnector`).
public final class PostgresClient: Service, Sendable {
    public let settings: DatabaseSettings
    private let pool: ResourcePool<PostgresConnection>
    private let connector: PostgresConnector
    private let logger: Logger

    public init(settings: DatabaseSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let connector = PostgresConnector(settings: settings, logger: logger)
        self.connector = connector
        self.pool = ResourcePool(
            capacity: settings.poolSize,
            make: { try connector.connect() },
            isReusable: { $0.isReusable },
            isAlive: { $0.isAlive }
        )
    }

    /// Whether the last attempt to connect failed and none has succeeded since.
    public var isUnreachable: Bool { connector.isUnreachable }

    /// Runs blocking work with one connection, on a pool thread.
    ///
    /// `idempotent`: the work may run twice, so when its connection turns out to be broken it runs once
    /// more on another connection (reads, readiness checks). Never for work that may have committed.
    public func withConnection<T: Sendable>(
        idempotent: Bool = false, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        do {
            return try await pool.withResource(body)
        } catch let error as PostgresError where idempotent && error.code == .connectionLost {
            // The broken connection and its idle siblings were dropped: this runs on a live or new one.
            return try await pool.withResource(body)
        }
    }

    /// Runs blocking work inside one transaction; an error rolls it back.
    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws
        -> T
    {
        try await pool.withResource { connection in try connection.transaction(body) }
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
        logger.debug("postgres pool closed", metadata: ["db.url.host": "\(settings.url.hostList)"])
    }
}
