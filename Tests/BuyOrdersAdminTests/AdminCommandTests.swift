import Core
import Foundation
import Testing
import TestSupport

/// `buyorders-admin` as an operator runs it, against a write model of the test's own.
@Suite struct AdminCommandTests {
    let database: TestDatabase

    init() throws {
        database = try TestDatabase.create(.writeModel)
    }

    /// Runs the command; returns its exit status, stdout and stderr.
    func admin(_ arguments: String...) throws -> (status: Int32, out: String, err: String) {
        let output = try CommandOutput.run(
            BuiltProducts.executable("buyorders-admin"), arguments, environment: ["WRITE_DB_URL": database.url.absoluteString])
        guard case .exited(let status) = output.termination else {
            Issue.record("buyorders-admin \(output.termination)")
            return (-1, "", "")
        }
        return (status, output.stdout, output.stderr)
    }

    func events() throws -> [(type: String, client: String?, payload: String)] {
        try database.connect().query("SELECT routing_key, client_id, payload::text AS payload FROM outbox ORDER BY sequence")
            .map { (try $0.text("routing_key"), $0["client_id"], try $0.text("payload")) }
    }

    @Test func createsListsAndLimitsClients() throws {
        #expect(try admin("client", "create", "acme").out == "created client acme\n")
        let duplicate = try admin("client", "create", "acme")
        #expect(duplicate.status == 1)
        #expect(duplicate.err == "buyorders-admin: client acme already exists\n")
        let invalid = try admin("client", "create", "Acme Inc")
        #expect(invalid.status == 1)
        #expect(invalid.err.contains("client names are 1 to 64 of a-z, 0-9, _ and -"))

        let limited = try admin("client", "set-rate-limit", "acme", "0.5")
        #expect(limited.status == 0)
        #expect(limited.out == "client acme: rate limit 0.5/s, burst 1\n")
        #expect(try admin("client", "set-rate-limit", "acme", "50", "--burst", "75").out == "client acme: rate limit 50/s, burst 75\n")
        #expect(try admin("client", "set-rate-limit", "nobody", "5").status == 1)
        #expect(try admin("client", "set-rate-limit", "acme", "-5").status == 2)
        #expect(try admin("client", "set-rate-limit", "acme", "1.2345").status == 2)

        let list = try admin("client", "list").out.split(separator: "\n")
        #expect(list.first?.hasPrefix("CLIENT") == true)
        #expect(list.contains { $0.hasPrefix("acme ") && $0.contains("50/s, burst 75") })
        #expect(list.contains { $0.hasPrefix("default ") && $0.contains("default") })

        let types = try events().map(\.type)
        #expect(types == ["client.created", "client.rate_limit_changed", "client.rate_limit_changed"])
        let last = try AccessEvent(json: Data(try events().last!.payload.utf8))
        #expect(last.client == .init(id: "acme", createdAt: last.client!.createdAt, rateLimitPerS: "50", rateLimitBurst: 75, version: 3))
    }

    @Test func printsAKeyOnceAloneOnTheLastLineAndStoresOnlyItsHash() throws {
        _ = try admin("client", "create", "acme")
        let created = try admin("key", "create", "acme", "--scopes", "orders:read", "--label", "reporting")
        #expect(created.status == 0)
        let token = try #require(created.out.split(separator: "\n").last.map(String.init))
        let key = try #require(APIKey(token: token[...]))
        #expect(created.out.contains("created key \(key.keyID) for client acme (scopes orders:read)"))

        let stored = try database.connect().query(
            "SELECT encode(secret_sha256, 'hex') AS hash, scopes::text AS scopes, label FROM api_key WHERE key_id = \(key.keyID)"
        ).first
        #expect(stored?["hash"] == key.secretHash.hex)
        #expect(stored?["scopes"] == "{orders:read}")
        #expect(stored?["label"] == "reporting")

        let list = try admin("key", "list", "acme")
        #expect(list.out.contains(key.keyID) && list.out.contains("reporting") && list.out.contains("orders:read"))
        #expect(!list.out.contains(String(token.suffix(43))))
        let secret = String(token.suffix(43))
        #expect(try !events().contains { $0.payload.contains(secret) })
        #expect(try events().last?.type == "api_key.created")
    }

    @Test func revokesAKeyOnceAndRefusesUnknownOnes() throws {
        _ = try admin("client", "create", "acme")
        let token = try #require(try admin("key", "create", "acme").out.split(separator: "\n").last)
        let key = try #require(APIKey(token: token))
        let revoked = try admin("key", "revoke", key.keyID)
        #expect(revoked.out == "revoked key \(key.keyID) of client acme\n")
        let again = try admin("key", "revoke", key.keyID)
        #expect(again.status == 0)
        #expect(again.out.contains("was already revoked at"))
        #expect(try events().map(\.type) == ["client.created", "api_key.created", "api_key.revoked"])
        #expect(try admin("key", "list", "acme").out.contains(key.keyID))

        let unknown = try admin("key", "revoke", "aaaaaaaaaaaa")
        #expect(unknown.status == 1)
        #expect(unknown.err == "buyorders-admin: no key aaaaaaaaaaaa\n")
        #expect(try admin("key", "create", "nobody").status == 1)
        #expect(try admin("key", "list", "nobody").status == 1)
        let scopes = try admin("key", "create", "acme", "--scopes", "orders:delete")
        #expect(scopes.status == 2)
        #expect(scopes.err.contains("--scopes must list orders:read, orders:write or both"))
    }

    @Test func showsAndSetsTheLimitNeverBelowTheTotal() throws {
        #expect(try admin("limit", "show").out == "limit 100.00000000 BTC, sold 0.00000000 BTC, available 100.00000000 BTC\n")
        try database.connect().query(
            """
            INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
            VALUES (gen_random_uuid(), 'default', 'USD', 100.00, 48478.88, 2.5, 'coinbase', now())
            """)
        let below = try admin("limit", "set", "2.49999999")
        #expect(below.status == 1)
        #expect(below.err.contains("2.50000000 BTC are already sold"))
        let set = try admin("limit", "set", "250.5")
        #expect(set.status == 0)
        #expect(set.out == "limit 250.50000000 BTC (was 100.00000000), sold 2.50000000 BTC\n")
        #expect(try admin("limit", "show").out.contains("available 248.00000000 BTC"))
        #expect(try admin("limit", "set", "abc").status == 2)
        #expect(try admin("limit", "set", "0").status == 2)
        let change = try #require(try events().last)
        #expect(change.type == "limit.changed" && change.client == nil)
    }

    @Test func saysWhenTheDatabaseIsUnreachableWithoutItsPassword() throws {
        let output = try CommandOutput.run(
            BuiltProducts.executable("buyorders-admin"), ["client", "list"],
            environment: ["WRITE_DB_URL": "postgresql://admin:s3cr3t-pw@127.0.0.1:\(try PrivateServer.freePort())/write_model"])
        #expect(output.termination == .exited(3))
        #expect(output.stderr.hasPrefix("buyorders-admin: "))
        #expect(!(output.stdout + output.stderr).contains("s3cr3t-pw"))
    }
}
