import Core
import Foundation
import Testing
import TestSupport

/// A database that stops answering: callers fail at once instead of each waiting for a connect timeout,
/// and the outage is logged once, not once per caller.
@Suite struct PostgresCircuitTests {
    @Test func callersFailFastWhileTheDatabaseIsSilentAndTheOutageIsLoggedOnce() async throws {
        let silent = try SilentListener()
        let logs = LogRecorder()
        var settings = DatabaseSettings(url: URL(string: "postgresql://postgres@127.0.0.1:\(silent.port)/db")!, poolSize: 4)
        settings.options.connectTimeout = .seconds(3)
        let client = PostgresClient(settings: settings, logger: logs.logger())

        // The first caller waits for its connect timeout and finds the database unreachable.
        let first = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(first?.code == .connectionFailed)
        #expect(client.isUnreachable)

        // Twenty more, four at a time on the pool: each would wait 3 s (15 s in all) without the circuit.
        let started = ContinuousClock.now
        let codes = await withTaskGroup(of: PostgresError.Code?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        try await client.query("SELECT 1")
                        return nil
                    } catch {
                        return (error as? PostgresError)?.code
                    }
                }
            }
            return await group.reduce(into: [PostgresError.Code?]()) { $0.append($1) }
        }
        #expect(codes.count == 20 && codes.allSatisfy { $0 == .connectionFailed })
        #expect(ContinuousClock.now - started < .seconds(7))
        #expect(logs.count("database unreachable") == 1)
        #expect(logs.count("reachable again") == 0)
        await client.close()
    }
}
