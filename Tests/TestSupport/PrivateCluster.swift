import Foundation

/// A RabbitMQ cluster of a test's own, through scripts/rabbitmq_cluster.sh: nodes on loopback with
/// their own names and ports, joined, for tests that stop one node of several.
public final class PrivateRabbitMQCluster: Sendable {
    public let directory: URL
    public let nodeCount: Int

    private init(directory: URL, nodeCount: Int) {
        self.directory = directory
        self.nodeCount = nodeCount
    }

    /// Starts `nodes` nodes and joins them (blocking; a minute or two on a loaded machine).
    public static func start(nodes: Int) throws -> PrivateRabbitMQCluster {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("buyorders-rabbitmq-cluster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let cluster = PrivateRabbitMQCluster(directory: directory, nodeCount: nodes)
        do {
            try cluster.script("start", String(nodes))
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// `AMQP_URL` for every node, node 1 first (the later URLs take its user, password and vhost).
    public func amqpURL() throws -> String {
        try script("urls").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The AMQP port of node `node` (1-based).
    public func port(ofNode node: Int) throws -> Int {
        guard let port = Int(try script("port", String(node)).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw PrivateServer.ScriptFailed(command: "scripts/rabbitmq_cluster.sh port \(node)")
        }
        return port
    }

    /// SIGKILL of node `node`: a crash, its connections drop at once.
    public func kill(node: Int) throws { try script("kill-node", String(node)) }

    public func stop(node: Int) throws { try script("stop-node", String(node)) }

    /// `rabbitmqctl -q ARGS...` on node `node`; its standard output.
    @discardableResult
    public func ctl(node: Int, _ arguments: String...) throws -> String {
        try script(["ctl", String(node), "-q"] + arguments)
    }

    /// The nodes (1-based) that the connections whose client properties mention `text` are connected to.
    public func nodes(servingConnectionsMentioning text: String, askingNode: Int) throws -> [Int] {
        let ports = try (1...nodeCount).map { try port(ofNode: $0) }
        return try ctl(node: askingNode, "list_connections", "port", "client_properties").split(separator: "\n")
            .compactMap { line in
                let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
                guard fields.count == 2, fields[1].contains(text), let port = Int(fields[0]) else { return nil }
                return ports.firstIndex(of: port).map { $0 + 1 }
            }
    }

    /// Stops every node and removes the folder; best effort.
    public func stop() {
        _ = try? script("stop")
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    private func script(_ arguments: String...) throws -> String {
        try script(arguments)
    }

    private func script(_ arguments: [String]) throws -> String {
        let path = TestServers.repositoryRoot.appendingPathComponent("scripts/rabbitmq_cluster.sh").path
        let output = directory.appendingPathComponent("script-\(UUID().uuidString.prefix(8)).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        do {
            try ChildProcess.run(
                "/bin/bash", [path, arguments[0], directory.appendingPathComponent("cluster").path] + arguments.dropFirst(),
                environment: ["RMQ_TIMEOUT": "180"], output: output)
        } catch {
            throw PrivateServer.ScriptFailed(command: "scripts/rabbitmq_cluster.sh \(arguments.joined(separator: " "))")
        }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }
}

/// A streaming hot standby of a private PostgreSQL (scripts/postgres_standby.sh: pg_basebackup -R),
/// on loopback, for tests of failover between a primary and its standby.
public final class PrivateStandby: Sendable {
    public let primary: PrivateServer
    public let directory: URL
    public let port: Int

    private init(primary: PrivateServer, directory: URL, port: Int) {
        self.primary = primary
        self.directory = directory
        self.port = port
    }

    /// A base backup of `primary`, started as its standby.
    public static func start(of primary: PrivateServer) throws -> PrivateStandby {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("buyorders-standby-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let standby = PrivateStandby(primary: primary, directory: directory, port: try PrivateServer.freePort())
        try standby.script("start", primary.directory.appendingPathComponent("server").path, standby.serverDirectory, String(standby.port))
        return standby
    }

    /// Database `name` of the standby (read-only until promoted).
    public func database(_ name: String) -> TestDatabase {
        TestDatabase(name: name, url: URL(string: "postgresql://postgres@127.0.0.1:\(port)/\(name)")!)
    }

    /// `pg_ctl promote`: it takes writes once this returns.
    public func promote() throws { try script("promote", serverDirectory) }

    public func stop() {
        try? script("stop", serverDirectory)
        try? FileManager.default.removeItem(at: directory)
    }

    private var serverDirectory: String { directory.appendingPathComponent("server").path }

    private func script(_ arguments: String...) throws {
        let path = TestServers.repositoryRoot.appendingPathComponent("scripts/postgres_standby.sh").path
        do {
            try ChildProcess.run("/bin/bash", [path] + arguments)
        } catch {
            throw PrivateServer.ScriptFailed(command: "scripts/postgres_standby.sh \(arguments.joined(separator: " "))")
        }
    }
}
