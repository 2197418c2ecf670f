import Foundation

/// A RabbitMQ virtual host of one test's own on the broker `./test.sh` starts, so that a service
/// binary, which uses the production exchange and queue names, shares the broker with other tests.
public struct TestVirtualHost: Sendable {
    public let name: String
    /// `AMQP_URL` with this virtual host.
    public let url: URL

    /// Adds the virtual host through `rabbitmqctl` (`RABBITMQ_TEST_DIR` names the node) and gives
    /// the user of `AMQP_URL` every permission on it.
    public static func create() throws -> TestVirtualHost {
        let shared = try TestServers.amqpURL()
        let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
        guard var components = URLComponents(url: shared, resolvingAgainstBaseURL: false) else {
            throw TestServers.Missing(variable: "AMQP_URL")
        }
        components.percentEncodedPath = "/\(name)"
        let host = TestVirtualHost(name: name, url: components.url!)
        try host.rabbitmqctl("add_vhost", name)
        try host.rabbitmqctl("set_permissions", "-p", name, components.user ?? "guest", ".*", ".*", ".*")
        return host
    }

    /// Deletes the virtual host with its exchanges and queues; best effort.
    public func delete() {
        try? rabbitmqctl("delete_vhost", name)
    }

    private func rabbitmqctl(_ arguments: String...) throws {
        let node = try TestServers.url("RABBITMQ_TEST_DIR").path
        let script = TestServers.repositoryRoot.appendingPathComponent("scripts/rabbitmq.sh").path
        try ChildProcess.run("/bin/bash", [script, "ctl", node] + arguments)
    }
}
