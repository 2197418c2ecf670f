import Core
import Foundation
import TestSupport
import Testing

/// A broker of this suite's own: restarting the shared one would break the other tests.
@Suite(.serialized) struct AMQPBrokerRestartTests {
    @Test func publishingAfterABrokerRestartWorksOnANewConnection() async throws {
        let broker = try AMQPPrivateBroker.start()
        defer { broker.stop() }
        let topology = AMQPTest.topology()
        let publisher = AMQPWorker(
            connector: try AMQPTest.connector(
                topology,
                url: broker.url,
                retry: AMQPRetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(200))
            )
        )
        let before = try await publisher.withConnection { connection in
            try connection.publish(AMQPTest.message(topology, body: "before", id: "b1"))
            return connection.id
        }

        try broker.restart()

        let after = try await publisher.withConnection { connection in
            try connection.publish(AMQPTest.message(topology, body: "after", id: "a1"))
            return connection.id
        }
        #expect(after != before)
        let consumer = try AMQPConnection(settings: AMQPTest.settings(url: broker.url))
        try consumer.consume(queue: topology.queue, prefetch: 10)
        var received: [String] = []
        while received.count < 2, let delivery = try consumer.nextDelivery(timeout: .seconds(10)) {
            received.append(delivery.messageID ?? "")
            try consumer.ack(delivery.tag)
        }
        #expect(received == ["b1", "a1"])
        consumer.close()
        await publisher.close()
    }
}

/// A RabbitMQ node under a temporary folder, through `scripts/rabbitmq.sh`.
///
/// The script runs in a shell that first closes every inherited descriptor above stderr. Otherwise the
/// detached broker inherits the socket on which Foundation.Process learns that its child exited, and
/// `waitUntilExit` waits for the broker to stop instead of for the script.
struct AMQPPrivateBroker {
    let directory: URL
    let port: Int

    var url: URL { URL(string: "amqp://guest:guest@127.0.0.1:\(port)/%2f")! }

    static func start() throws -> AMQPPrivateBroker {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("buyorders-amqp-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let broker = AMQPPrivateBroker(directory: directory, port: try AMQPTest.unusedPort())
        try broker.script("start", String(broker.port))
        return broker
    }

    func restart() throws { try script("restart") }

    func stop() {
        try? script("stop")
        try? FileManager.default.removeItem(at: directory)
    }

    private func script(_ command: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments =
            [
                "-c", #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@""#,
                "close-fds", "/bin/bash", TestServers.repositoryRoot.appendingPathComponent("scripts/rabbitmq.sh").path,
                command, directory.appendingPathComponent("node").path,
            ] + arguments
        process.standardOutput = FileHandle.nullDevice
        // A loaded CI machine (two cores, parallel tests) may boot the node slowly.
        process.environment = ProcessInfo.processInfo.environment.merging(["RMQ_TIMEOUT": "120"]) { $1 }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ScriptFailed(command: "scripts/rabbitmq.sh \(command)")
        }
    }

    struct ScriptFailed: Error {
        let command: String
    }
}
