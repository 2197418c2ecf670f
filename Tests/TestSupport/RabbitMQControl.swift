import Foundation

/// `rabbitmqctl` on a broker the tests started, through `scripts/rabbitmq.sh ctl`.
public struct RabbitMQControl: Sendable {
    /// The node's folder, as `scripts/rabbitmq.sh` takes it.
    public let node: String

    /// The broker of `./test.sh` (`RABBITMQ_TEST_DIR`).
    public static func shared() throws -> RabbitMQControl {
        RabbitMQControl(node: try TestServers.url("RABBITMQ_TEST_DIR").path)
    }

    /// A broker of the test's own.
    public init(_ server: PrivateServer) {
        self.init(node: server.directory.appendingPathComponent("server").path)
    }

    public init(node: String) {
        self.node = node
    }

    /// Runs `rabbitmqctl ARGS...` and returns its standard output.
    @discardableResult
    public func run(_ arguments: String...) throws -> String {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("rabbitmqctl-\(UUID().uuidString.prefix(8)).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let script = TestServers.repositoryRoot.appendingPathComponent("scripts/rabbitmq.sh").path
        try ChildProcess.run("/bin/bash", [script, "ctl", node, "-q"] + arguments, output: output)
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    /// The connections whose client properties mention `text` (a unique `connection_name`): the
    /// broker's `name` of each (client and broker address, so a new connection has another one).
    public func connections(mentioning text: String) throws -> [String] {
        try run("list_connections", "name", "client_properties").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard fields.count == 2, fields[1].contains(text) else { return nil }
            return fields[0]
        }
    }

    /// Ready and unacknowledged messages of `queue` in `virtualHost`.
    public func messages(in queue: String, virtualHost: String = "/") throws -> (ready: Int, unacked: Int)? {
        let lines = try run("list_queues", "-p", virtualHost, "name", "messages_ready", "messages_unacknowledged")
        for line in lines.split(separator: "\n") {
            let fields = line.split(separator: "\t").map(String.init)
            if fields.count == 3, fields[0] == queue, let ready = Int(fields[1]), let unacked = Int(fields[2]) {
                return (ready, unacked)
            }
        }
        return nil
    }
}
