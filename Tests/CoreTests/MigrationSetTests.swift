import Core
import Foundation
import Testing

@Suite struct MigrationSetTests {
    private func migration(_ id: String, _ header: String = "") -> Migration {
        Migration(id: id, apply: header + "\nSELECT 1;", rollback: nil, file: "\(id).sql")
    }

    @Test func ordersByFileNameWhenNothingDepends() throws {
        let set = try MigrationSet([migration("0002_b"), migration("0001_a"), migration("0003_c")])
        #expect(set.ids == ["0001_a", "0002_b", "0003_c"])
    }

    @Test func placesAMigrationAfterWhatItDependsOn() throws {
        let set = try MigrationSet([
            migration("0001_a", "-- depends: 0003_c"), migration("0002_b"), migration("0003_c"),
        ])
        #expect(set.ids == ["0002_b", "0003_c", "0001_a"])
    }

    @Test func readsSeveralDependenciesFromTheLeadingComments() {
        let sql = "-- a comment\n-- depends: x y\n--depends: z\nCREATE TABLE t ();\n-- depends: ignored"
        #expect(Migration.dependencies(in: sql) == ["x", "y", "z"] as [String])
    }

    @Test func refusesAnUnknownDependency() {
        #expect(throws: MigrationError.unknownDependency(migration: "0001_a", dependency: "nope")) {
            try MigrationSet([migration("0001_a", "-- depends: nope")])
        }
    }

    @Test func refusesACycle() {
        #expect(throws: MigrationError.self) {
            try MigrationSet([migration("a", "-- depends: b"), migration("b", "-- depends: a")])
        }
    }

    @Test func loadsTheProjectsMigrationsWithTheirRollbacks() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
        for folder in ["write_model", "read_model"] {
            let set = try MigrationSet(directory: root.appendingPathComponent(folder))
            #expect(!set.migrations.isEmpty)
            for migration in set.migrations {
                #expect(migration.rollback != nil, "\(folder)/\(migration.id) needs a .rollback.sql")
            }
        }
        #expect(
            try MigrationSet(directory: root.appendingPathComponent("write_model")).ids
                == RequiredMigrations.writeModel.ids)
        #expect(
            try MigrationSet(directory: root.appendingPathComponent("read_model")).ids == RequiredMigrations.readModel.ids)
    }
}
