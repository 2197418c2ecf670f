import Foundation

/// A PostgreSQL or RabbitMQ of a test's own, through scripts/postgres.sh or scripts/rabbitmq.sh,
/// for tests that stop or restart a server.
public final class PrivateServer: Sendable {
    public enum Kind: String, Sendable {
        case postgres, rabbitmq
    }

    public let kind: Kind
    public let directory: URL
    public let port: Int
    /// Given to every run of the control script (`PG_AUTH=scram-sha-256`, say).
    private let environment: [String: String]

    private init(kind: Kind, directory: URL, port: Int, environment: [String: String]) {
        self.kind = kind
        self.directory = directory
        self.port = port
        self.environment = environment
    }

    public static func start(_ kind: Kind, environment: [String: String] = [:]) throws -> PrivateServer {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("buyorders-\(kind.rawValue)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let port = try freePort()
        let server = PrivateServer(kind: kind, directory: directory, port: port, environment: environment)
        try server.script("start", directory.appendingPathComponent("server").path, String(port))
        return server
    }

    public func restart() throws { try script("restart", serverDirectory) }
    public func pause() throws { try script("stop", serverDirectory) }
    public func resume() throws { try script("start", serverDirectory, String(port)) }

    public func stop() {
        try? script("stop", serverDirectory)
        try? FileManager.default.removeItem(at: directory)
    }

    private var serverDirectory: String { directory.appendingPathComponent("server").path }

    /// Where `makeAccounts()` keeps the passwords, one file per account (`postgres-<role>`, `rabbitmq-<user>`).
    public var secretsDirectory: URL { directory.appendingPathComponent("secrets") }

    /// The roles (PostgreSQL) or users (RabbitMQ, and no guest) of BuyOrders, made as run.sh makes them.
    public func makeAccounts() throws {
        try script(kind == .postgres ? "roles" : "users", serverDirectory, secretsDirectory.path)
    }

    /// The password `makeAccounts()` made for `account`.
    public func password(of account: String) throws -> String {
        try String(contentsOf: secretsDirectory.appendingPathComponent("\(kind.rawValue)-\(account)"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs the control script and waits for it alone (see `ChildProcess`: the daemon it starts outlives it).
    private func script(_ arguments: String...) throws {
        let path = TestServers.repositoryRoot.appendingPathComponent("scripts/\(kind.rawValue).sh").path
        do {
            // A loaded machine (two cores, parallel tests) may boot a broker slowly.
            try ChildProcess.run(
                "/bin/bash", [path] + arguments, environment: environment.merging(["RMQ_TIMEOUT": "120"]) { $1 })
        } catch {
            throw ScriptFailed(command: "scripts/\(kind.rawValue).sh \(arguments.joined(separator: " "))")
        }
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let command: String
        var description: String { "\(command) failed" }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw ScriptFailed(command: "bind to a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension PrivateServer {
    /// Database `name` of this PostgreSQL (scripts/postgres.sh creates write_model and read_model), with
    /// `schema`'s migrations applied unless it is nil.
    public func database(_ name: String, migrating schema: TestDatabase.Schema? = nil) throws -> TestDatabase {
        let database = TestDatabase(name: name, url: URL(string: "postgresql://postgres@127.0.0.1:\(port)/\(name)")!)
        if let schema { try database.migrate(schema) }
        return database
    }
}
