import Core
import Foundation
import Testing
import TestSupport

/// The `migrate` executable itself, as an operator runs it.
@Suite struct MigrateCommandTests {
    private func migrate(_ arguments: [String], write: TestDatabase, read: TestDatabase) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = TestServers.repositoryRoot.appendingPathComponent(".build/debug/migrate")
        process.arguments = arguments + ["--migrations-dir", TestServers.repositoryRoot.appendingPathComponent("migrations").path]
        var environment = ProcessInfo.processInfo.environment
        environment["WRITE_DB_URL"] = write.url.absoluteString
        environment["READ_DB_URL"] = read.url.absoluteString
        environment["LOG_LEVEL"] = "error"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func appliesThenShowsEveryMigrationApplied() throws {
        let write = try TestDatabase.create(nil)
        let read = try TestDatabase.create(nil)
        let (pendingStatus, pending) = try migrate(["status"], write: write, read: read)
        #expect(pendingStatus == 0)
        #expect(pending.contains("write_model  0001_client") && pending.contains("pending"))

        let writeIDs = try MigrationSet(directory: TestDatabase.migrationsFolder(.writeModel)).migrations.map(\.id)
        let readIDs = try MigrationSet(directory: TestDatabase.migrationsFolder(.readModel)).migrations.map(\.id)
        let (applyStatus, applied) = try migrate(["apply"], write: write, read: read)
        #expect(applyStatus == 0, "\(applied)")
        #expect(applied.contains("write_model: applied \(writeIDs.count) migration(s): \(writeIDs.joined(separator: ", "))"))
        #expect(applied.contains("read_model: applied \(readIDs.count) migration(s)"))

        let (_, status) = try migrate(["status"], write: write, read: read)
        let lines = status.split(separator: "\n")
        #expect(lines.count == writeIDs.count + readIDs.count)
        #expect(lines.allSatisfy { $0.contains("applied") })

        let (rollbackStatus, rolledBack) = try migrate(["rollback", "--count", "2", "--database", "write"], write: write, read: read)
        #expect(rollbackStatus == 0)
        #expect(rolledBack.contains("rolled back 2 migration(s): \(writeIDs.reversed().prefix(2).joined(separator: ", "))"))
    }

    @Test func failsWithOneClearLineForABadURL() throws {
        let database = try TestDatabase.create(nil)
        let process = Process()
        process.executableURL = TestServers.repositoryRoot.appendingPathComponent(".build/debug/migrate")
        process.arguments = ["status", "--database", "write"]
        process.environment = ["WRITE_DB_URL": "mysql://nope", "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(text.contains("WRITE_DB_URL must be a postgresql or postgres URL"))
        _ = database
    }

    /// Whatever goes wrong with a URL, migrate's output (stdout, stderr, logs) never shows its password.
    @Test func neverPrintsThePasswordOfItsURLs() async throws {
        let password = "Pw-migrate-91c2"
        let write = try TestDatabase.create(nil)
        var reachable = URLComponents(url: write.url, resolvingAgainstBaseURL: false)!
        reachable.user = reachable.user ?? "postgres"
        reachable.password = password  // the test server trusts every password
        var closed = reachable
        closed.port = try PrivateServer.freePort()
        let runs: [(url: String, status: ChildProcess.Termination, says: String)] = [
            ("mysql://postgres:\(password)@db/write_model", .exited(64), "WRITE_DB_URL must be a postgresql or postgres URL"),
            ("postgresql://postgres:a@\(password)@/write_model", .exited(64), "WRITE_DB_URL must be a postgresql or postgres URL"),
            (closed.url!.absoluteString, .exited(1), "is not reachable"),
            (reachable.url!.absoluteString, .exited(0), "write_model: applied "),
        ]
        for run in runs {
            let output = try await CommandOutput.product(
                "migrate",
                ["apply", "--database", "write", "--wait-seconds", "1",
                 "--migrations-dir", TestServers.repositoryRoot.appendingPathComponent("migrations").path],
                environment: ["WRITE_DB_URL": run.url, "LOG_LEVEL": "debug"])
            #expect(output.termination == run.status, "\(output)")
            #expect((output.stdout + output.stderr).contains(run.says), "\(output)")
            #expect(!(output.stdout + output.stderr).contains(password), "\(output)")
        }
    }
}
