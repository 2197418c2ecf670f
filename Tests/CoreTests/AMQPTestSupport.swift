import Core
import Foundation
import Logging
import Metrics
import TestSupport
import Testing

/// Connections, names and messages of the AMQP tests. Each test declares its own uniquely named
/// exchanges and queues, so the tests share the one broker of `./test.sh` and run in parallel.
enum AMQPTest {
    static func settings(url: URL? = nil, heartbeat: Duration = .seconds(30)) throws -> AMQPSettings {
        AMQPSettings(
            endpoint: try AMQPEndpoint(url: url ?? TestServers.amqpURL()),
            heartbeat: heartbeat,
            connectTimeout: .seconds(5),
            connectionName: "core-tests"
        )
    }

    static func connect(heartbeat: Duration = .seconds(30)) throws -> AMQPConnection {
        try AMQPConnection(settings: settings(heartbeat: heartbeat))
    }

    static func topology(deliveryLimit: Int = 5) -> AMQPTopology {
        let prefix = "test.\(UUID().uuidString.prefix(8).lowercased())"
        return AMQPTopology(
            exchange: "\(prefix).buy_orders",
            // Only the orders' key, so that a message with another key is unroutable.
            bindingKey: "buy_order.created",
            queue: "\(prefix).read_model_sync",
            deadLetterExchange: "\(prefix).buy_orders.dead_letter",
            deadLetterQueue: "\(prefix).read_model_sync.dead_letter",
            deliveryLimit: deliveryLimit
        )
    }

    /// A connection with `topology` declared.
    static func declared(_ topology: AMQPTopology) throws -> AMQPConnection {
        let connection = try connect()
        try connection.declare(topology)
        return connection
    }

    /// A connection consuming `queue`.
    static func consumer(of queue: String, prefetch: UInt16 = 50) throws -> AMQPConnection {
        let connection = try connect()
        try connection.consume(queue: queue, prefetch: prefetch)
        return connection
    }

    static func message(_ topology: AMQPTopology, body: String, id: String = UUID().uuidString) -> AMQPMessage {
        AMQPMessage(exchange: topology.exchange, routingKey: topology.routingKey, body: Array(body.utf8), messageID: id)
    }

    /// Deletes what `topology` declared; best effort.
    static func remove(_ topology: AMQPTopology) {
        guard let connection = try? connect() else { return }
        for queue in [topology.queue, topology.deadLetterQueue] {
            try? connection.deleteQueue(queue)
        }
        for exchange in [topology.exchange, topology.deadLetterExchange] {
            try? connection.deleteExchange(exchange)
        }
        connection.close()
    }

    /// A session of a test: quick retries, its own stop flag.
    static func session(
        _ topology: AMQPTopology?, consumer: AMQPSession.Consumer? = nil, settings: AMQPSettings? = nil,
        backoff: Backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(200)), stop: StopFlag = StopFlag(),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws -> AMQPSession {
        AMQPSession(
            name: "test", settings: try settings ?? self.settings(), topology: topology, consumer: consumer,
            backoff: backoff, stop: stop, logger: TestServers.logger, metrics: metrics)
    }

    /// A URL on a local port nothing listens on.
    static func unusedURL() throws -> URL {
        try #require(URL(string: "amqp://guest:guest@127.0.0.1:\(unusedPort())/%2f"))
    }

    static func unusedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension AMQPDelivery {
    var text: String { String(decoding: body, as: UTF8.self) }
}
