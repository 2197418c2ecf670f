import Core
import Foundation
import TestSupport

/// A PostgreSQL of a test's own as run.sh runs it: every TCP login needs its password
/// (scram-sha-256), the roles of scripts/postgres_roles.sh, and both models migrated by the owner
/// `buyorders`.
struct RoleServer: Sendable {
    let server: PrivateServer

    static func run<T: Sendable>(_ body: @Sendable (RoleServer) async throws -> T) async throws -> T {
        try await withPrivateServer(.postgres, environment: ["PG_AUTH": "scram-sha-256"]) { server in
            let roles = RoleServer(server: server)
            try await onOwnThread {
                try server.makeAccounts()
                for schema in [TestDatabase.Schema.writeModel, .readModel] {
                    try Migrator(
                        migrations: MigrationSet(directory: TestDatabase.migrationsFolder(schema)),
                        connection: roles.connect("buyorders", schema), logger: TestServers.logger
                    ).apply()
                }
            }
            return try await body(roles)
        }
    }

    /// `database` as `role`, with its password unless `password` says another.
    func url(_ role: String, _ database: TestDatabase.Schema, password: String? = nil) throws -> URL {
        let secret = try password ?? server.password(of: role)
        return URL(string: "postgresql://\(role):\(secret)@127.0.0.1:\(server.port)/\(database.rawValue)")!
    }

    func connect(_ role: String, _ database: TestDatabase.Schema) throws -> PostgresConnection {
        try PostgresConnection(url: url(role, database))
    }

    func settings(_ role: String, _ database: TestDatabase.Schema) throws -> DatabaseSettings {
        DatabaseSettings(url: try url(role, database), poolSize: 4)
    }
}

/// A RabbitMQ of a test's own as run.sh runs it: the users of scripts/rabbitmq_users.sh in the vhost
/// buyorders, and no guest.
struct UserBroker: Sendable {
    let server: PrivateServer

    static func run<T: Sendable>(_ body: @Sendable (UserBroker) async throws -> T) async throws -> T {
        try await withPrivateServer(.rabbitmq) { server in
            try await onOwnThread { try server.makeAccounts() }
            return try await body(UserBroker(server: server))
        }
    }

    func endpoint(_ user: String, password: String? = nil, virtualHost: String = "buyorders") throws -> AMQPEndpoint {
        AMQPEndpoint(
            host: "127.0.0.1", port: server.port, user: user, password: try password ?? server.password(of: user),
            virtualHost: virtualHost)
    }

    func settings(_ user: String) throws -> AMQPSettings {
        AMQPSettings(endpoint: try endpoint(user), connectionName: "least-privilege-tests")
    }
}
