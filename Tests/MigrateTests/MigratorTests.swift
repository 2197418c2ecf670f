import Core
import Foundation
import Testing
import TestSupport

@Suite struct MigratorTests {
    private func migrator(_ database: TestDatabase, _ schema: TestDatabase.Schema) throws -> Migrator {
        Migrator(
            migrations: try MigrationSet(directory: TestDatabase.migrationsFolder(schema)),
            connection: try database.connect(), logger: TestServers.logger)
    }

    @Test(arguments: [TestDatabase.Schema.writeModel, .readModel])
    func appliesListsRollsBackAndAppliesAgain(schema: TestDatabase.Schema) throws {
        let database = try TestDatabase.create(nil)
        let migrator = try migrator(database, schema)
        let all = try MigrationSet(directory: TestDatabase.migrationsFolder(schema)).ids

        #expect(try migrator.status().allSatisfy { $0.appliedAt == nil })
        #expect(try migrator.apply() == all)
        #expect(try migrator.status().allSatisfy { $0.appliedAt != nil })
        #expect(try migrator.apply() == [])

        #expect(try migrator.rollback(count: all.count) == all.reversed())
        #expect(try migrator.status().allSatisfy { $0.appliedAt == nil })
        let tables = try database.connect().query(
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%yoyo%'")
        #expect(tables.first?["n"] == "0", "rollbacks remove every table")

        #expect(try migrator.apply() == all)
    }

    @Test func keepsYoyoBookkeeping() throws {
        let database = try TestDatabase.create(.readModel)
        let connection = try database.connect()
        let row = try #require(
            try connection.query(
                """
                SELECT m.migration_hash, m.migration_id, v.version, l.operation
                FROM _yoyo_migration m, _yoyo_version v, _yoyo_log l WHERE l.migration_id = m.migration_id
                """
            ).first)
        // yoyo's hash is the sha256 hex digest of the migration id.
        #expect(row["migration_hash"] == "4689c3ecae788121ac35669e8c680f729b70d0e526bee68556bb333806ff820b")
        #expect(row["migration_id"] == "0001_buy_order")
        #expect(row["version"] == "2")
        #expect(row["operation"] == "apply")
        let locks = try connection.query("SELECT count(*) AS n FROM yoyo_lock").first?["n"]
        #expect(locks == "0", "the lock is released after a run")
    }

    @Test func twoConcurrentRunnersApplyEachMigrationOnce() async throws {
        let database = try TestDatabase.create(nil)
        let folder = TestDatabase.migrationsFolder(.writeModel)
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    let migrator = Migrator(
                        migrations: try MigrationSet(directory: folder), connection: try database.connect(),
                        logger: TestServers.logger)
                    return try migrator.apply()
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(results.flatMap { $0 }.sorted() == RequiredMigrations.writeModel.ids.sorted())
        let applied = try database.connect().query("SELECT count(*) AS n FROM _yoyo_log WHERE operation = 'apply'")
        #expect(applied.first?["n"] == String(RequiredMigrations.writeModel.ids.count))
    }

    @Test func aFailingMigrationLeavesNothingHalfApplied() throws {
        let database = try TestDatabase.create(nil)
        let broken = Migration(
            id: "0001_broken", apply: "CREATE TABLE half (id INT); SELECT no_such_function();", rollback: nil,
            file: "0001_broken.sql")
        let migrator = Migrator(
            migrations: try MigrationSet([broken]), connection: try database.connect(), logger: TestServers.logger)
        #expect {
            try migrator.apply()
        } throws: { error in
            guard case .failed(let file, let message) = error as? MigrationError else { return false }
            return file == "0001_broken.sql" && message.contains("no_such_function")
        }
        let tables = try database.connect().query("SELECT to_regclass('half') IS NULL AS gone").first?["gone"]
        #expect(tables == "t")
        #expect(try migrator.status().first?.appliedAt == nil)
    }

    @Test func refusesToRollBackWithoutARollbackFile() throws {
        let database = try TestDatabase.create(nil)
        let oneWay = Migration(id: "0001_one_way", apply: "CREATE TABLE t (id INT);", rollback: nil, file: "x.sql")
        let migrator = Migrator(
            migrations: try MigrationSet([oneWay]), connection: try database.connect(), logger: TestServers.logger)
        try migrator.apply()
        #expect(throws: MigrationError.noRollback(migration: "0001_one_way")) { try migrator.rollback() }
    }
}
