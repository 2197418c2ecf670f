import ArgumentParser
import Core
import Foundation
import Logging

/// `migrate apply | rollback | status | break-lock`: yoyo-style SQL migrations for the write and read databases.
@main
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Applies, rolls back and lists the SQL migrations of the write and read databases.",
        subcommands: [Apply.self, Rollback.self, Status.self, BreakLock.self]
    )
}

/// Which databases a command acts on.
enum DatabaseChoice: String, ExpressibleByArgument, CaseIterable {
    case write, read, all
}

struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "write, read or all.")
    var database: DatabaseChoice = .all

    @Option(name: .long, help: "The folder holding write_model/ and read_model/.")
    var migrationsDir: String = "migrations"

    @Option(name: .long, help: "How long to wait for a database that is still starting.")
    var waitSeconds: Int = 30

    @OptionGroup var lock: LockOptions

    /// The targets chosen, with their databases from WRITE_DB_URL / READ_DB_URL.
    func targets() throws -> [MigrationTarget] {
        let environment = EnvironmentReader()
        let root = URL(fileURLWithPath: migrationsDir)
        var targets: [MigrationTarget] = []
        do {
            if database != .read {
                targets.append(.init(name: "write_model", database: try DatabaseSettings.write(environment), directory: root.appendingPathComponent("write_model")))
            }
            if database != .write {
                targets.append(.init(name: "read_model", database: try DatabaseSettings.read(environment), directory: root.appendingPathComponent("read_model")))
            }
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        return targets
    }

    /// Runs `body` with a migrator for each target, turning failures into one clear line.
    func forEachTarget(_ body: (MigrationTarget, Migrator) throws -> Void) throws {
        try forEachConnection { target, connection, logger in
            let migrations = try MigrationSet(directory: target.directory)
            let migrator = Migrator(
                migrations: migrations, connection: connection, logger: logger, lock: lock.policy,
                onExpiredLock: { holder in
                    print("\(target.name): yoyo_lock of \(holder) had expired (--lock-expiry \(lock.lockExpiry) s): took it over")
                })
            try body(target, migrator)
        }
    }

    /// Runs `body` with a connection to each target, turning failures into one clear line.
    func forEachConnection(_ body: (MigrationTarget, PostgresConnection, Logger) throws -> Void) throws {
        let logger = LoggingSystem.bootstrapJSON(service: "migrate", level: try EnvironmentReader().logLevel())
        for target in try targets() {
            do {
                let connection = try Migrator.connect(target.database, wait: .seconds(waitSeconds), logger: logger)
                try body(target, connection, logger)
            } catch let error as MigrationError {
                FileHandle.standardError.write(Data("migrate: \(target.name): \(error)\n".utf8))
                throw ExitCode.failure
            } catch let error as PostgresError {
                FileHandle.standardError.write(Data("migrate: \(target.name): \(error.debugDescription)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

/// How long to wait for another run, and when a lock a killed run left expires.
struct LockOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds to wait for another migrate or yoyo run to release its lock.")
    var lockTimeout: Int = Int(MigrationLock.defaultTimeout.components.seconds)

    @Option(
        name: .long,
        help: "Age in seconds at which a yoyo_lock left by a killed run expires and is taken over.")
    var lockExpiry: Int = Int(MigrationLock.defaultExpiry.components.seconds)

    func validate() throws {
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout must be 0 or more seconds") }
        guard lockExpiry >= 1 else { throw ValidationError("--lock-expiry must be at least 1 second") }
    }

    var policy: MigrationLock { MigrationLock(timeout: .seconds(lockTimeout), expiry: .seconds(lockExpiry)) }
}

struct MigrationTarget {
    let name: String
    let database: DatabaseSettings
    let directory: URL
}

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Applies every pending migration.")
    @OptionGroup var options: CommonOptions

    func run() throws {
        try options.forEachTarget { target, migrator in
            let applied = try migrator.apply()
            print("\(target.name): applied \(applied.count) migration(s)\(applied.isEmpty ? "" : ": " + applied.joined(separator: ", "))")
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rolls back the most recent migrations.")
    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "How many migrations to roll back on each database.")
    var count: Int = 1

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        try options.forEachTarget { target, migrator in
            let rolledBack = try migrator.rollback(count: count)
            print("\(target.name): rolled back \(rolledBack.count) migration(s)\(rolledBack.isEmpty ? "" : ": " + rolledBack.joined(separator: ", "))")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lists every migration as applied or pending.")
    @OptionGroup var options: CommonOptions

    func run() throws {
        try options.forEachTarget { target, migrator in
            for entry in try migrator.status() {
                let state = entry.appliedAt.map { "applied  \($0)" } ?? "pending"
                print("\(target.name)  \(entry.id.padding(toLength: 28, withPad: " ", startingAt: 0))  \(state)")
            }
        }
    }
}

struct BreakLock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "break-lock",
        abstract: "Removes the yoyo_lock a killed migrate or yoyo run left behind.",
        discussion: "Refuses while another run of migrate is working on the database. Run it only when no yoyo run is active either.")
    @OptionGroup var options: CommonOptions

    func run() throws {
        try options.forEachConnection { target, connection, _ in
            if let holder = try Migrator.breakLock(on: connection, lock: options.lock.policy) {
                print("\(target.name): broke yoyo_lock held by \(holder)")
            } else {
                print("\(target.name): yoyo_lock was not held")
            }
        }
    }
}
