import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// The connection breaks in the round trip that carries COMMIT: whether the order was stored is unknown,
/// and the answer must say so, never "nothing was stored".
@Suite struct CommitOutcomeTests {
    @Test func aConnectionLostDuringCommitIsAnsweredOutcomeUnknownAndARetryWithTheKeyMakesOneOrder() async throws {
        try await WritePath.run(configure: { $0.writeDatabase.options.statementTimeout = nil }) { client, path in
            // A deferred constraint trigger runs inside COMMIT; this one sleeps there, so the test can
            // terminate the backend while the service waits for COMMIT's answer.
            let admin = try path.database.connect()
            try admin.execute(
                script: """
                    CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
                    CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON outbox
                        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_slow_commit();
                    """)
            let key = UUID()
            let body = WritePath.body(amount: "12.34", key: key)
            async let answer = WritePath.put(client, body: body)
            try await expectEventually {
                try admin.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event = 'PgSleep'
                    """
                ).count == 1
            }
            let unknown = try await answer
            #expect(unknown.status == .serviceUnavailable)
            #expect(unknown.json["type"] as? String == "/problems/outcome-unknown", "\(unknown.text)")
            #expect(unknown.headers[.retryAfter] != nil)
            #expect(!unknown.text.contains("nothing was stored"))

            try admin.execute(script: "DROP TRIGGER slow_commit ON outbox")
            let retried = try await WritePath.put(client, body: body)
            #expect(retried.status == .ok, "\(retried.text)")
            let again = try await WritePath.put(client, body: body)
            #expect(again.text == retried.text)
            let stored = try admin.query("SELECT count(*) AS n FROM idempotency_key WHERE key = \(key)")
            #expect(stored.first?["n"] == "1")
            #expect(try path.count("buy_order") == 1)
        }
    }
}
