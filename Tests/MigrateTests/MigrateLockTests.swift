import Core
import Foundation
import Testing
import TestSupport

/// The real `migrate`, killed with SIGKILL while it holds yoyo_lock: the next run is not blocked for good.
/// Each test has a database and a migrations folder of its own; its one migration sleeps until the
/// test rewrites it into a quick one.
@Suite struct MigrateLockTests {
    struct Fixture {
        let database: TestDatabase
        let folder: URL

        init() throws {
            database = try TestDatabase.create(nil)
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent("write_model"), withIntermediateDirectories: true)
            try write("SELECT pg_sleep(120);\nCREATE TABLE slow_done (id int);\n")
        }

        private var migration: URL { folder.appendingPathComponent("write_model/0001_slow.sql") }

        func write(_ sql: String) throws {
            try sql.write(to: migration, atomically: true, encoding: .utf8)
        }

        func makeQuick() throws { try write("CREATE TABLE slow_done (id int);\n") }

        var environment: [String: String] { ["WRITE_DB_URL": database.url.absoluteString, "LOG_LEVEL": "error"] }

        func arguments(_ command: String, _ more: [String] = []) -> [String] {
            [command, "--database", "write", "--migrations-dir", folder.path] + more
        }

        func migrate(_ command: String, _ more: [String] = []) async throws -> CommandOutput {
            try await CommandOutput.product("migrate", arguments(command, more), environment: environment, within: .seconds(90))
        }

        /// Starts `migrate apply` and returns once it holds yoyo_lock and runs the slow migration.
        func startSlowRun() async throws -> ChildProcess {
            let child = try ChildProcess(try BuiltProducts.executable("migrate"), arguments("apply"), environment: environment)
            let connection = try database.connect()
            try #require(
                await eventually(within: .seconds(30)) {
                    let holder = try? connection.query("SELECT pid FROM yoyo_lock").first?["pid"]
                    let sleeping = try connection.query(
                        """
                        SELECT count(*) AS n FROM pg_stat_activity
                        WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(120)%'
                        """
                    ).first?["n"]
                    return holder == "\(child.pid)" && sleeping == "1"
                })
            return child
        }

        /// A run killed while it holds the lock; returns its pid, which the lock row still names.
        func killedRun() async throws -> Int32 {
            let child = try await startSlowRun()
            child.send(SIGKILL)
            #expect(child.wait() == .signaled(SIGKILL))
            #expect(try database.connect().query("SELECT pid FROM yoyo_lock").first?["pid"] == "\(child.pid)")
            try makeQuick()
            return child.pid
        }

        func lockRows() throws -> String? {
            try database.connect().query("SELECT count(*) AS n FROM yoyo_lock").first?["n"]
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func aLockLeftByAKilledRunExpiresAndTheNextRunSaysItTookItOver() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let pid = try await fixture.killedRun()

        let run = try await fixture.migrate("apply", ["--lock-expiry", "2"])
        #expect(run.termination == .exited(0), "\(run)")
        #expect(run.stdout.contains("write_model: yoyo_lock of pid \(pid) since "), "\(run)")
        #expect(run.stdout.contains("had expired (--lock-expiry 2 s): took it over"), "\(run)")
        #expect(run.stdout.contains("write_model: applied 1 migration(s): 0001_slow"), "\(run)")
        #expect(try fixture.lockRows() == "0")
    }

    @Test func aLockLeftByAKilledRunIsNamedAndCanBeBroken() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let pid = try await fixture.killedRun()

        let blocked = try await fixture.migrate("apply", ["--lock-timeout", "2"])
        #expect(blocked.termination == .exited(1), "\(blocked)")
        #expect(blocked.stderr.contains("migrate: write_model: yoyo_lock is held by pid \(pid) since "), "\(blocked)")
        #expect(blocked.stderr.contains("The lock expires when 600 s old (--lock-expiry)"), "\(blocked)")
        #expect(blocked.stderr.contains("`migrate break-lock` breaks it now"), "\(blocked)")

        let broken = try await fixture.migrate("break-lock")
        #expect(broken.termination == .exited(0), "\(broken)")
        #expect(broken.stdout.hasPrefix("write_model: broke yoyo_lock held by pid \(pid) since "), "\(broken)")

        let applied = try await fixture.migrate("apply")
        #expect(applied.termination == .exited(0), "\(applied)")
        #expect(applied.stdout.contains("write_model: applied 1 migration(s): 0001_slow"), "\(applied)")
        #expect(!applied.stdout.contains("expired"), "\(applied)")

        let again = try await fixture.migrate("break-lock")
        #expect(again.stdout == "write_model: yoyo_lock was not held\n", "\(again)")
    }

    @Test func breakLockRefusesWhileARunIsActive() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let child = try await fixture.startSlowRun()

        let refused = try await fixture.migrate("break-lock", ["--lock-timeout", "1"])
        #expect(refused.termination == .exited(1), "\(refused)")
        #expect(refused.stderr.contains("another migrate run is working on this database"), "\(refused)")
        #expect(try fixture.database.connect().query("SELECT pid FROM yoyo_lock").first?["pid"] == "\(child.pid)")

        child.send(SIGKILL)
        child.wait()
    }
}
