import Core
import Foundation
import Synchronization
import Testing
import TestSupport

@Suite struct PostgresClientTests {
    @Test func bindsParametersIncludingNullAndUnicode() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        let text = "Grüße, 世界 🚀 ' \" \\ ; DROP TABLE x; --"
        let missing: String? = nil
        let row = try #require(
            try await client.query("SELECT \(text)::text AS text, \(missing)::text AS missing, \(Int64.max)::bigint AS big")
                .first)
        #expect(row["text"] == text)
        #expect(row["missing"] == nil)
        #expect(row["big"] == String(Int64.max))
        await client.close()
    }

    @Test func bindsArraysForAny() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        let values = ["a", "b,c", "d\"e", "{f}", "g\\h"]
        let rows = try await client.query("SELECT unnest(\(values)::text[]) AS value")
        #expect(rows.map { $0["value"] } == values)
        await client.close()
    }

    @Test func bindsUnicodeInArrays() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        let values = ["Grüße", "世界 \"🚀\"", ""]
        let rows = try await client.query("SELECT unnest(\(values)::text[]) AS value")
        #expect(rows.map { $0["value"] } == values)
        await client.close()
    }

    @Test func pipelineRunsStatementsInOrderAndReusesPreparedOnes() async throws {
        let database = try TestDatabase.create(nil)
        let connection = try database.connect()
        try connection.query("CREATE TABLE item (name TEXT PRIMARY KEY)")
        for round in 0..<2 {
            let results = try connection.pipeline([
                "BEGIN", "INSERT INTO item VALUES (\("a\(round)")), (\("b\(round)"))",
                "SELECT count(*) AS n FROM item", "COMMIT",
            ])
            #expect(results.count == 4)
            #expect(results[1].affectedRows == 2)
            #expect(results[2].first?["n"] == String(2 * (round + 1)))
        }
        #expect(connection.isIdle)
    }

    @Test func pipelineStopsAtTheFirstFailureAndTheConnectionStaysUsable() async throws {
        let database = try TestDatabase.create(nil)
        let connection = try database.connect()
        try connection.query("CREATE TABLE item (name TEXT PRIMARY KEY)")
        let error = #expect(throws: PostgresError.self) {
            try connection.pipeline([
                "BEGIN", "INSERT INTO item VALUES ('a')", "INSERT INTO item VALUES ('a')",
                "INSERT INTO item VALUES ('never run')", "COMMIT",
            ])
        }
        #expect(error?.code == .uniqueViolation)
        #expect(!connection.isIdle)
        connection.rollback()
        #expect(connection.isIdle)
        // The statement first seen after the failure was never prepared; it must still work now.
        try connection.pipeline(["INSERT INTO item VALUES ('never run')"])
        #expect(try connection.query("SELECT string_agg(name, ',') AS names FROM item").first?["names"] == "never run")
    }

    @Test func rollsBackATransactionThatThrows() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        try await client.query("CREATE TABLE item (name TEXT PRIMARY KEY)")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await client.withTransaction { connection in
                try connection.query("INSERT INTO item VALUES (\("kept?"))")
                throw Abort()
            }
        }
        let count = try await client.query("SELECT count(*) AS n FROM item").first?["n"]
        #expect(count == "0")
        await client.close()
    }

    @Test func mapsSQLStatesToTypedErrors() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        try await client.query("CREATE TABLE item (name TEXT PRIMARY KEY CHECK (name <> ''), n INT NOT NULL)")
        try await client.query("INSERT INTO item VALUES ('a', 1)")

        func code(_ query: PostgresQuery) async -> PostgresError.Code? {
            do {
                try await client.query(query)
                return nil
            } catch {
                return (error as? PostgresError)?.code
            }
        }
        #expect(await code("INSERT INTO item VALUES ('a', 2)") == .uniqueViolation)
        #expect(await code("INSERT INTO item VALUES ('', 2)") == .checkViolation)
        #expect(await code("INSERT INTO item VALUES ('b', NULL)") == .notNullViolation)
        #expect(await code("SELECT * FROM no_such_table") == .undefinedTable)
        #expect(await code("SELECT 'x'::int") == .invalidText)

        let error = try #require(
            await #expect(throws: PostgresError.self) { try await client.query("INSERT INTO item VALUES ('a', 3)") })
        #expect(error.sqlState == "23505")
        #expect(error.constraint == "item_pkey")
        #expect(!error.description.contains("item"), "description stays generic")
        #expect(error.debugDescription.contains("duplicate key"))
        await client.close()
    }

    @Test func failsToConnectWithATypedError() async throws {
        let url = try TestServers.writeDatabaseURL().replacingDatabase(with: "no_such_database")
        let client = PostgresClient(settings: DatabaseSettings(url: url, poolSize: 1), logger: TestServers.logger)
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(error?.code == .connectionFailed)
        await client.close()
    }

    @Test func waitsForAConnectionWhenThePoolIsExhausted() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(poolSize: 2), logger: TestServers.logger)
        // Eight callers each hold a connection for a while; with two connections they must queue, not fail.
        let pids = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await client.query("SELECT pg_backend_pid()::text AS pid, pg_sleep(0.05)").first?["pid"] ?? nil
                }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(pids.count == 8)
        #expect(Set(pids.compactMap { $0 }).count <= 2)
        await client.close()
    }

    @Test func closeDisconnectsEveryConnection() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(poolSize: 3), logger: TestServers.logger)
        try await openConnectionsAtOnce(client, count: 3)
        let observer = try database.connect()
        let others = "SELECT count(*) AS n \(Self.otherBackends)"
        #expect(try observer.query(PostgresQuery(unsafeSQL: others)).first?["n"] == "3")
        await client.close()
        try await expectEventually { try observer.query(PostgresQuery(unsafeSQL: others)).first?["n"] == "0" }
    }

    @Test func dropsEveryIdleConnectionOnceOneIsFoundDead() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(poolSize: 4), logger: TestServers.logger)
        try await openConnectionsAtOnce(client, count: 4)
        // All of them die together, as in a database restart (without a restart's race for its port).
        let observer = try database.connect()
        try observer.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) \(Self.otherBackends)"))
        try await expectEventually {
            try observer.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n \(Self.otherBackends)")).first?["n"] == "0"
        }

        // The first caller finds a dead connection; the next one must not find another.
        _ = try? await client.query("SELECT 1")
        #expect(try await client.query("SELECT 1 AS one").first?["one"] == "1")
        await client.close()
    }

    @Test func replacesAConnectionTheServerClosed() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(poolSize: 1), logger: TestServers.logger)
        let pid = try #require(try await client.query("SELECT pg_backend_pid() AS pid").first?["pid"])
        let admin = try database.connect()
        try admin.query("SELECT pg_terminate_backend(\(pid)::int)")

        // The first use after the kill may fail; the one after must work on a fresh connection.
        _ = try? await client.query("SELECT 1")
        let newPID = try await client.query("SELECT pg_backend_pid() AS pid").first?["pid"]
        #expect(newPID != nil && newPID != pid)
        await client.close()
    }

    @Test func neverHandsOutAConnectionTheServerClosedWhileItWasIdle() async throws {
        let database = try TestDatabase.create(nil)
        let client = PostgresClient(settings: database.settings(poolSize: 2), logger: TestServers.logger)
        try await openConnectionsAtOnce(client, count: 2)
        let observer = try database.connect()
        try observer.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) \(Self.otherBackends)"))
        try await expectEventually {
            try observer.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n \(Self.otherBackends)")).first?["n"] == "0"
        }
        // Not even the first use fails, idempotent or not: the dead ones are seen at check-out and replaced.
        #expect(try await client.query("SELECT 1 AS one").first?["one"] == "1")
        await client.close()
    }

    @Test func runsAnIdempotentBodyOnceMoreWhenItsConnectionBreaks() async throws {
        let database = try TestDatabase.create(nil)
        var settings = database.settings(poolSize: 2)
        settings.options.statementTimeout = nil
        let client = PostgresClient(settings: settings, logger: TestServers.logger)
        let observer = try database.connect()
        let killer = Task {
            try await expectEventually {
                try observer.query(
                    PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) \(Self.otherBackends) AND wait_event = 'PgSleep'")
                ).count > 0
            }
        }
        let attempts = Atomic(0)
        let answer = try await client.withConnection(idempotent: true) { connection -> String? in
            // The first attempt sleeps until the test kills its backend; the second answers at once.
            let attempt = attempts.add(1, ordering: .relaxed).newValue
            return try connection.query("SELECT \(attempt)::int AS attempt, pg_sleep(\(attempt == 1 ? 30 : 0))").first?["attempt"]
        }
        try await killer.value
        #expect(answer == "2")
        #expect(attempts.load(ordering: .relaxed) == 2)

        // Work that is not idempotent is never run twice: the broken connection is the caller's answer.
        let killAgain = Task {
            try await expectEventually {
                try observer.query(
                    PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) \(Self.otherBackends) AND wait_event = 'PgSleep'")
                ).count > 0
            }
        }
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT pg_sleep(30)") }
        try await killAgain.value
        #expect(error?.code == .connectionLost)
        await client.close()
    }

    /// The test database's backends other than the asking connection, for `SELECT ... \(otherBackends)`.
    private static let otherBackends =
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

    /// Makes the pool open `count` connections at once; they stay idle in it afterwards.
    private func openConnectionsAtOnce(_ client: PostgresClient, count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count { group.addTask { try await client.query("SELECT pg_sleep(0.2)") } }
            try await group.waitForAll()
        }
    }
}
