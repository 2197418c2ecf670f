import Core
import Foundation
import Logging

/// The servers `./test.sh` starts, from the same variables the services read.
/// A missing variable fails the test: under `./test.sh` nothing skips silently.
public enum TestServers {
    public struct Missing: Error, CustomStringConvertible {
        public let variable: String
        public var description: String { "\(variable) is not set: run the tests with ./test.sh, which starts the servers" }
    }

    public static func url(_ variable: String) throws -> URL {
        guard let text = ProcessInfo.processInfo.environment[variable], let url = URL(string: text) else {
            throw Missing(variable: variable)
        }
        return url
    }

    public static func writeDatabaseURL() throws -> URL { try url("WRITE_DB_URL") }
    public static func readDatabaseURL() throws -> URL { try url("READ_DB_URL") }
    public static func amqpURL() throws -> URL { try url("AMQP_URL") }

    /// The repository's root folder (for migrations/ and scripts/).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}

/// A fresh database of its own for one test, on the server of the write database.
public struct TestDatabase: Sendable {
    public enum Schema: String, Sendable {
        case writeModel = "write_model"
        case readModel = "read_model"
    }

    public let name: String
    public let url: URL

    /// The server a test database is made on.
    public enum Server: Sendable {
        /// The server of the write database, shared by most tests.
        case shared
        /// The stream tests' own server (`STREAM_TEST_DB_URL`): a stream passes no order while an older
        /// transaction runs anywhere on its server, and other tests hold transactions open on purpose.
        case streams
    }

    /// Creates an empty database, then applies `schema`'s migrations unless it is nil.
    public static func create(_ schema: Schema?, prefix: String = "test", on server: Server = .shared) throws
        -> TestDatabase
    {
        let server = try server == .shared ? TestServers.writeDatabaseURL() : TestServers.url("STREAM_TEST_DB_URL")
        let name = "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresConnection(url: server.replacingDatabase(with: "postgres"))
        try admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        let database = TestDatabase(name: name, url: server.replacingDatabase(with: name))
        if let schema {
            try database.migrate(schema)
        }
        return database
    }

    public func migrate(_ schema: Schema) throws {
        let migrations = try MigrationSet(directory: Self.migrationsFolder(schema))
        try Migrator(migrations: migrations, connection: connect(), logger: TestServers.logger).apply()
    }

    public static func migrationsFolder(_ schema: Schema) -> URL {
        TestServers.repositoryRoot.appendingPathComponent("migrations").appendingPathComponent(schema.rawValue)
    }

    public func connect() throws -> PostgresConnection {
        try PostgresConnection(url: url)
    }

    public func settings(poolSize: Int = 4) -> DatabaseSettings {
        DatabaseSettings(url: url, poolSize: poolSize)
    }
}

extension URL {
    /// The same server with another database name in the path.
    public func replacingDatabase(with name: String) -> URL {
        var components = URLComponents(url: self, resolvingAgainstBaseURL: false)!
        components.path = "/\(name)"
        return components.url!
    }
}
