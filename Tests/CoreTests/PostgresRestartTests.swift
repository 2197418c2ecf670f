import Core
import Foundation
import Testing
import TestSupport

/// Restarts and stops a private PostgreSQL of its own (never the shared one other tests use).
@Suite(.serialized) struct PostgresRestartTests {
    @Test func theFirstQueryAfterARestartSucceedsAndAnOutageIsLoggedOnceAndEndsByItself() async throws {
        let server = try await onOwnThread { try PrivateServer.start(.postgres) }
        defer { server.stop() }
        let url = URL(string: "postgresql://postgres@127.0.0.1:\(server.port)/write_model")!
        let logs = LogRecorder()
        let client = PostgresClient(settings: DatabaseSettings(url: url, poolSize: 2), logger: logs.logger())
        #expect(try await client.query("SELECT 1 AS one").first?["one"] == "1")

        // Every pooled connection dies with the restart; the first query after it gets a fresh one.
        try await onOwnThread { try server.restart() }
        #expect(try await client.query("SELECT 1 AS one").first?["one"] == "1")

        // Stopped: every query fails as unreachable, and that is logged once.
        try await onOwnThread { try server.pause() }
        for _ in 0..<20 {
            let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
            #expect(error?.isConnectionFailure == true)
        }
        #expect(logs.count("database unreachable") == 1)

        // Started again: the client finds out by itself (a probe), and logs that once too.
        try await onOwnThread { try server.resume() }
        try await expectEventually(within: .seconds(20)) {
            (try? await client.query("SELECT 1 AS one").first?["one"]) == "1"
        }
        #expect(logs.count("database reachable again") == 1)
        #expect(logs.count("database unreachable") == 1)
        await client.close()
    }
}
