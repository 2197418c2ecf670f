import Core
import Foundation
import Testing
import TestSupport

/// Statements that stall are cut by the server's statement and lock timeouts, which every connection
/// of a service's pool is opened with.
@Suite struct PostgresTimeoutTests {
    func settings(_ database: TestDatabase, statement: Duration?, lock: Duration?) -> DatabaseSettings {
        var settings = database.settings(poolSize: 1)
        settings.options.statementTimeout = statement
        settings.options.lockTimeout = lock
        return settings
    }

    @Test func aStatementRunningPastTheStatementTimeoutIsCancelled() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(
            settings: settings(database, statement: .milliseconds(300), lock: nil), logger: TestServers.logger)
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT pg_sleep(120)") }
        #expect(error?.code == .queryCanceled)
        #expect(error?.isTimeout == true)
        // Far below the 120 s it would sleep, with room for a machine under load.
        #expect(ContinuousClock.now - started < .seconds(60))
        // The connection stays usable.
        #expect(try await client.query("SELECT 1 AS one").first?["one"] == "1")
        await client.close()
    }

    @Test func aStatementWaitingPastTheLockTimeoutIsCancelled() async throws {
        let database = try TestDatabase.create(nil)
        let holder = try database.connect()
        try holder.query("CREATE TABLE total (n INT)")
        try holder.query("INSERT INTO total VALUES (1)")
        // Held at most 120 s, so that the test ends even when no lock timeout cuts the wait.
        try holder.query("SET idle_in_transaction_session_timeout = 120000")
        try holder.query("BEGIN")
        try holder.query("SELECT n FROM total FOR UPDATE")

        let client = PostgresClient(
            settings: settings(database, statement: .seconds(30), lock: .milliseconds(300)), logger: TestServers.logger)
        let error = await #expect(throws: PostgresError.self) {
            try await client.query("SELECT n FROM total FOR UPDATE")
        }
        #expect(error?.code == .lockNotAvailable)
        try holder.query("ROLLBACK")
        #expect(try await client.query("SELECT n FROM total FOR UPDATE").first?["n"] == "1")
        await client.close()
    }

    @Test func poolConnectionsCarryTheServiceLimitsAndToolConnectionsDoNot() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        let limits = try #require(
            try await client.query("SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l")
                .first)
        #expect(limits["s"] == "5s")
        #expect(limits["l"] == "2s")
        await client.close()
        // migrate and the admin commands connect with the settings `forTools`: long statements are theirs to run.
        let tool = try PostgresConnection(settings: database.settings().forTools)
        #expect(try tool.query("SHOW statement_timeout").first?["statement_timeout"] == "0")
        #expect(try tool.query("SHOW lock_timeout").first?["lock_timeout"] == "0")
    }
}
