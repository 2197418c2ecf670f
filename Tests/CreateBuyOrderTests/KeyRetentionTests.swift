import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// Idempotency keys are kept for the retention, then purged in batches by create-buy-order.
@Suite struct KeyRetentionTests {
    /// Tests that are not about the purge's pace purge at full speed (`restFactor` 0).
    static func briefRetention(batchSize: Int = 1000, restFactor: Int = 0) -> @Sendable (inout CreateBuyOrderSettings) -> Void {
        { settings in
            settings.keyPurge.retention = .seconds(1)
            settings.keyPurge.interval = .milliseconds(200)
            settings.keyPurge.batchSize = batchSize
            settings.keyPurge.restFactor = restFactor
        }
    }

    /// 1,000 expired keys, `slowPurge`: a trigger makes deleting each one take `perKey`.
    static func seedExpiredKeys(_ database: PostgresConnection, slowPurge perKey: String) throws {
        try database.execute(
            script: """
                CREATE FUNCTION slow_purge() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(\(perKey)); RETURN OLD; END; $$;
                CREATE TRIGGER slow_purge BEFORE DELETE ON idempotency_key FOR EACH ROW EXECUTE FUNCTION slow_purge();
                WITH o AS (
                    INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
                    SELECT gen_random_uuid(), 'default', 'USD', 1, 48478.88, 0.00002063, 'seed', now()
                    FROM generate_series(1, 1000)
                    RETURNING id)
                INSERT INTO idempotency_key (client_id, key, fingerprint, buy_order_id, created_at)
                SELECT 'default', gen_random_uuid(), 'seed', id, now() - interval '2 days' FROM o;
                """)
    }

    static let seeded = PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM idempotency_key WHERE fingerprint = 'seed'")

    @Test func afterTheRetentionTheSameKeyMakesANewOrder() async throws {
        try await WritePath.run(mode: .live, configure: Self.briefRetention()) { client, path in
            let body = WritePath.body(amount: "3.00")
            let first = try await WritePath.put(client, body: body)
            #expect(first.status == .ok)
            try await expectEventually { try path.count("idempotency_key") == 0 }
            let again = try await WritePath.put(client, body: body)
            #expect(again.status == .ok)
            #expect(again.headers[.idempotentReplayed] == nil)
            let ids = [first, again].compactMap { ($0.json["buy_order"] as? [String: String])?["id"] }
            #expect(ids.count == 2 && ids[0] != ids[1])
            #expect(try path.count("buy_order") == 2)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect((MetricsReading(text: metrics.text).value("idempotency_keys_purged_total") ?? 0) >= 1)
        }
    }

    @Test func keysWithinTheRetentionAreKept() async throws {
        try await WritePath.run(configure: {
            $0.keyPurge.retention = .seconds(3600)
            $0.keyPurge.interval = .milliseconds(100)
        }) { client, path in
            let body = WritePath.body(amount: "3.00")
            let first = try await WritePath.put(client, body: body)
            // Several purges run meanwhile; the key is younger than the retention.
            try await Task.sleep(for: .milliseconds(500))
            let replay = try await WritePath.put(client, body: body)
            #expect(replay.text == first.text && replay.headers[.idempotentReplayed] == "true")
            #expect(try path.count("idempotency_key") == 1)
        }
    }

    /// A purge made slow for real (a trigger sleeps 10 ms per deleted key: 1,000 expired keys in batches of
    /// 50 take about 10 s, each batch holding its rows for half a second) while orders keep coming: each
    /// is answered as usual while the purge runs, and the purging session never holds a lock on `btc_total`.
    @Test func ordersKeepFlowingWhileAPurgeRuns() async throws {
        try await WritePath.run(mode: .live, configure: Self.briefRetention(batchSize: 50)) { client, path in
            let database = try path.database.connect()
            try Self.seedExpiredKeys(database, slowPurge: "0.01")
            let purging = """
                SELECT a.pid, EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'btc_total'::regclass)
                    AS holds_total
                FROM pg_stat_activity a
                WHERE a.datname = current_database() AND a.state = 'active' AND a.pid <> pg_backend_pid()
                    AND a.query LIKE '%purge_idempotency_keys%'
                """
            let seeded = Self.seeded
            func purgeRuns() throws -> Bool {
                let sessions = try database.query(PostgresQuery(unsafeSQL: purging))
                for row in sessions {
                    #expect(row["holds_total"] == "f", "the purging session \(row["pid"] ?? "") holds btc_total")
                }
                return !sessions.isEmpty
            }
            try await expectEventually { try purgeRuns() }
            // Orders sent while the purge runs, each answered while it still ran.
            var answeredDuringThePurge = 0
            for _ in 0..<20 where Int(try database.query(seeded).first?["n"] ?? "") ?? 0 > 0 {
                let order = try await WritePath.put(client, body: WritePath.body(amount: "1.00"))
                #expect(order.status == .ok, "\(order.text)")
                if try purgeRuns() || Int(try database.query(seeded).first?["n"] ?? "") ?? 0 > 0 { answeredDuringThePurge += 1 }
            }
            #expect(answeredDuringThePurge >= 3)
            try await expectEventually(within: .seconds(60)) { Int(try database.query(seeded).first?["n"] ?? "") == 0 }
        }
    }

    /// A batch that takes a second (100 keys, 10 ms each) is followed by a rest of 19 s (`restFactor` 19):
    /// three seconds after the first batch, the second has not run. Without the rest (at full speed) it
    /// would have, a second after the first.
    @Test func aPurgeRestsLongerTheLongerItsBatchTook() async throws {
        try await WritePath.run(mode: .live, configure: Self.briefRetention(batchSize: 100, restFactor: 19)) { _, path in
            let database = try path.database.connect()
            try Self.seedExpiredKeys(database, slowPurge: "0.01")
            func seeded() throws -> Int { Int(try database.query(Self.seeded).first?["n"] ?? "") ?? -1 }
            try await expectEventually(within: .seconds(30)) { try seeded() < 1000 }
            #expect(try seeded() == 900)
            try await Task.sleep(for: .seconds(3))
            #expect(try seeded() == 900, "a second batch ran within the first one's rest")
        }
    }
}
