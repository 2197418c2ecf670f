import Core
import Foundation
import Testing
import TestSupport

/// Restarts a private PostgreSQL of its own (never the shared one other tests use).
@Suite(.serialized) struct PostgresRestartTests {
    @Test func recoversByItselfAfterPostgreSQLRestarts() async throws {
        let server = try PrivateServer.start(.postgres)
        defer { server.stop() }
        let url = URL(string: "postgresql://postgres@127.0.0.1:\(server.port)/write_model")!
        let client = PostgresClient(settings: DatabaseSettings(url: url, poolSize: 2), logger: TestServers.logger)
        #expect(try await client.query("SELECT 1 AS one").first?["one"] == "1")

        try server.restart()

        let deadline = ContinuousClock.now + .seconds(20)
        var answer: String?
        while answer == nil, ContinuousClock.now < deadline {
            answer = try? await client.query("SELECT 1 AS one").first?["one"]
            if answer == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(answer == "1")
        await client.close()
    }
}
