import Core
import Foundation
import Testing
import TestSupport

@testable import CreateBuyOrder

/// The database roles run.sh makes and the grants of the migrations, on a PostgreSQL of the test's
/// own that asks every login for its password: each service's role is refused what the service must
/// never do (its own work, done by the services themselves, is LeastPrivilegeClusterTests).
@Suite struct RolePrivilegeTests {
    private static let insufficientPrivilege = "42501"

    /// The SQLSTATE `sql` fails with as `role`; nil when it ran.
    private static func failure(_ roles: RoleServer, _ role: String, _ database: TestDatabase.Schema, _ sql: String)
        throws -> String?
    {
        let connection = try roles.connect(role, database)
        do {
            try connection.query(PostgresQuery(unsafeSQL: sql))
            return nil
        } catch let error as PostgresError {
            return error.sqlState ?? "\(error.code)"
        }
    }

    private static func expectRefused(
        _ roles: RoleServer, _ role: String, _ database: TestDatabase.Schema, _ statements: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for sql in statements {
            let state = try failure(roles, role, database, sql)
            #expect(state == insufficientPrivilege, "\(role) on \(database.rawValue): \(sql)", sourceLocation: sourceLocation)
        }
    }

    /// Whether `role` may log in to `database` at all.
    private static func mayConnect(_ roles: RoleServer, _ role: String, _ database: TestDatabase.Schema) throws -> Bool {
        do {
            _ = try roles.connect(role, database)
            return true
        } catch let error as PostgresError where error.message.contains("permission denied for database") {
            return false
        }
    }

    @Test func everyLoginNeedsItsPassword() async throws {
        try await RoleServer.run { roles in
            for role in ["buyorders", "create_buy_order", "fetch_buy_orders", "read_model_sync", "postgres"] {
                #expect(throws: PostgresError.self, "\(role)") {
                    try PostgresConnection(url: roles.url(role, .readModel, password: "not-the-password"))
                }
            }
            let user = try roles.connect("fetch_buy_orders", .readModel).query("SELECT current_user AS u").first?["u"]
            #expect(user == "fetch_buy_orders")
        }
    }

    @Test func createBuyOrdersRoleCannotChangeOrdersTheTotalTheLimitKeysOrTheSchema() async throws {
        try await RoleServer.run { roles in
            try roles.connect("buyorders", .writeModel).query(
                """
                INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
                VALUES (gen_random_uuid(), 'default', 'USD', 100, 48478.88, 0.00206275, 'coinbase', now())
                """)
            try Self.expectRefused(
                roles, "create_buy_order", .writeModel,
                [
                    // Orders are immutable for it by privilege, not only by the triggers (23001).
                    "UPDATE buy_order SET currency = 'EUR'", "DELETE FROM buy_order", "TRUNCATE buy_order CASCADE",
                    "UPDATE btc_total SET limit_btc = 1000", "UPDATE btc_total SET total = 0",
                    "UPDATE btc_total SET updated_at = now()",
                    "INSERT INTO client (id) VALUES ('mallory')", "UPDATE client SET rate_limit_per_s = 1e6, rate_limit_burst = 1",
                    "INSERT INTO api_key (key_id, client_id, secret_sha256, scopes) VALUES ('aaaaaaaaaaaa', 'default', sha256('x'), '{orders:read}')",
                    "UPDATE api_key SET revoked_at = NULL", "UPDATE outbox SET payload = '{}'",
                    "UPDATE idempotency_key SET fingerprint = ''", "DELETE FROM outbox_parked",
                    "DROP TABLE outbox", "ALTER TABLE buy_order ADD COLUMN note TEXT", "CREATE TABLE note (id INT)",
                    "CREATE TEMPORARY TABLE btc_total (total NUMERIC)", "CREATE INDEX ON buy_order (currency)",
                    "ALTER FUNCTION btc_total_add_orders() SECURITY INVOKER", "DELETE FROM _yoyo_migration",
                ])
            #expect(try !Self.mayConnect(roles, "create_buy_order", .readModel))
            let row = try #require(try roles.connect("buyorders", .writeModel).query("SELECT count(*) AS n, (SELECT limit_btc FROM btc_total) AS l FROM buy_order").first)
            #expect(row["n"] == "1")
            #expect(row["l"] == "100.00000000")
        }
    }

    /// Its own work that the service tests do as the owner: the purge of expired idempotency keys
    /// (it once failed with 42501 on every run: its row locks need UPDATE, which the role has not).
    @Test func createBuyOrdersRoleCanPurgeExpiredIdempotencyKeysButNotYoungerOnes() async throws {
        try await RoleServer.run { roles in
            try roles.connect("buyorders", .writeModel).execute(
                script: """
                    INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
                    SELECT gen_random_uuid(), 'default', 'USD', 100, 48478.88, 0.00206275, 'coinbase', now()
                    FROM generate_series(1, 5);
                    INSERT INTO idempotency_key (client_id, key, fingerprint, buy_order_id, created_at)
                    SELECT client_id, gen_random_uuid(), 'f', id,
                           now() - CASE WHEN sequence % 5 < 3 THEN interval '200 days' ELSE interval '1 minute' END
                    FROM buy_order
                    """)
            var settings = IdempotencyKeyPurge.Settings()
            settings.retention = .seconds(3600)
            settings.batchSize = 2
            let writer = try roles.connect("create_buy_order", .writeModel)
            #expect(try IdempotencyKeyPurge.deleteBatch(settings, on: writer) == 2)
            #expect(try IdempotencyKeyPurge.deleteBatch(settings, on: writer) == 1)
            #expect(try IdempotencyKeyPurge.deleteBatch(settings, on: writer) == 0)
            let left = try roles.connect("buyorders", .writeModel).query("SELECT count(*) AS n FROM idempotency_key")
            #expect(left.first?["n"] == "2")
            try Self.expectRefused(roles, "create_buy_order", .writeModel, ["UPDATE idempotency_key SET fingerprint = ''"])
        }
    }

    @Test func fetchBuyOrdersRoleOnlyReadsTheReadModel() async throws {
        try await RoleServer.run { roles in
            try Self.expectRefused(
                roles, "fetch_buy_orders", .readModel,
                [
                    """
                    INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at, created_at)
                    VALUES (gen_random_uuid(), 1, 'default', 'USD', 1, 1, 1, 'x', now(), now())
                    """,
                    "INSERT INTO client (id, version, created_at) VALUES ('mallory', 1, now())",
                    "INSERT INTO api_key (key_id, client_id, secret_sha256, scopes, label, created_at) VALUES ('aaaaaaaaaaaa', 'default', sha256('x'), '{orders:read}', '', now())",
                    "UPDATE api_key SET revoked_at = NULL", "UPDATE client SET rate_limit_per_s = 1e6",
                    "DELETE FROM buy_order", "TRUNCATE buy_order", "DROP TABLE buy_order", "CREATE TABLE note (id INT)",
                    "CREATE TEMPORARY TABLE note (id INT)",
                ])
            #expect(try roles.connect("fetch_buy_orders", .readModel).query("SELECT count(*) AS n FROM client").first?["n"] == "1")
            #expect(try !Self.mayConnect(roles, "fetch_buy_orders", .writeModel))
        }
    }

    @Test func readModelSyncsRoleCannotWriteTheWriteModelNorDeleteFromTheReadModel() async throws {
        try await RoleServer.run { roles in
            try Self.expectRefused(
                roles, "read_model_sync", .writeModel,
                [
                    """
                    INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
                    VALUES (gen_random_uuid(), 'default', 'USD', 100, 48478.88, 0.00206275, 'coinbase', now())
                    """,
                    "INSERT INTO client (id) VALUES ('mallory')", "UPDATE api_key SET revoked_at = NULL",
                    "UPDATE btc_total SET limit_btc = 1000", "SELECT 1 FROM btc_total FOR UPDATE",
                    "INSERT INTO outbox (event_id, client_id, routing_key, payload) VALUES (gen_random_uuid(), NULL, 'x', '{}')",
                    "DELETE FROM outbox", "SELECT * FROM outbox", "SELECT * FROM idempotency_key",
                    "DROP TABLE buy_order", "CREATE TABLE note (id INT)",
                ])
            try Self.expectRefused(
                roles, "read_model_sync", .readModel,
                ["DELETE FROM buy_order", "TRUNCATE api_key", "DROP TABLE client", "CREATE TABLE note (id INT)"])
            #expect(try roles.connect("read_model_sync", .writeModel).query("SELECT count(*) AS n FROM buy_order").first?["n"] == "0")
        }
    }
}
