import Foundation

/// One yoyo-style SQL migration: `<id>.sql`, an optional `<id>.rollback.sql`, `-- depends: a b` headers.
public struct Migration: Sendable, Equatable {
    public let id: String
    public let apply: String
    public let rollback: String?
    public let dependencies: [String]
    /// The file it came from, for error messages.
    public let file: String

    public init(id: String, apply: String, rollback: String?, file: String) {
        self.id = id
        self.apply = apply
        self.rollback = rollback
        self.file = file
        self.dependencies = Self.dependencies(in: apply)
    }

    /// Ids named by `-- depends:` lines in the leading comment block.
    public static func dependencies(in sql: String) -> [String] {
        var ids: [String] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard trimmed.hasPrefix("--") else { break }
            let comment = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
            guard comment.lowercased().hasPrefix("depends:") else { continue }
            ids += comment.dropFirst("depends:".count).split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        return ids
    }
}

/// The migrations of one folder, in the order they apply: file-name order, moved by `depends`.
public struct MigrationSet: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration]) throws {
        self.migrations = try Self.ordered(migrations)
    }

    /// Loads every `*.sql` of `directory` that is not a `*.rollback.sql`.
    public init(directory: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.unreadable(path: directory.path, reason: "\(error)")
        }
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") && !name.hasSuffix(".rollback.sql") {
            let id = String(name.dropLast(".sql".count))
            let file = directory.appendingPathComponent(name)
            let rollbackFile = directory.appendingPathComponent("\(id).rollback.sql")
            let apply = try Self.read(file)
            let rollback = FileManager.default.fileExists(atPath: rollbackFile.path) ? try Self.read(rollbackFile) : nil
            migrations.append(Migration(id: id, apply: apply, rollback: rollback, file: file.path))
        }
        try self.init(migrations)
    }

    public var ids: [String] { migrations.map(\.id) }

    private static func read(_ file: URL) throws -> String {
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw MigrationError.unreadable(path: file.path, reason: "\(error)")
        }
    }

    /// A stable topological order: each migration after its dependencies, otherwise by id.
    private static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let byID = Dictionary(migrations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for migration in migrations {
            for dependency in migration.dependencies where byID[dependency] == nil {
                throw MigrationError.unknownDependency(migration: migration.id, dependency: dependency)
            }
        }
        var ordered: [Migration] = []
        var placed: Set<String> = []
        var remaining = migrations.sorted { $0.id < $1.id }
        while !remaining.isEmpty {
            guard let index = remaining.firstIndex(where: { $0.dependencies.allSatisfy(placed.contains) }) else {
                throw MigrationError.dependencyCycle(ids: remaining.map(\.id))
            }
            let next = remaining.remove(at: index)
            ordered.append(next)
            placed.insert(next.id)
        }
        return ordered
    }
}
