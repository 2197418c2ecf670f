import Core
import Foundation
import Prometheus
import TestSupport
import Testing

/// A broker of this suite's own: restarting the shared one would break the other tests.
@Suite(.serialized) struct AMQPBrokerRestartTests {
    @Test func publishingAfterABrokerRestartWorksOnANewConnection() async throws {
        try await withPrivateServer(.rabbitmq) { broker in try await Self.publishAcrossARestart(of: broker) }
    }

    static func publishAcrossARestart(of broker: PrivateServer) async throws {
        let url = try #require(URL(string: "amqp://guest:guest@127.0.0.1:\(broker.port)/%2f"))
        let topology = AMQPTest.topology()
        let registry = PrometheusCollectorRegistry()
        let received = try await onOwnThread {
            let publisher = try AMQPTest.session(
                topology, settings: AMQPTest.settings(url: url), metrics: PrometheusMetricsFactory(registry: registry))
            defer { publisher.close() }
            try publisher.connection(within: .seconds(30))?.publish(AMQPTest.message(topology, body: "before", id: "b1"))

            try broker.restart()

            // The session notices the closed connection, reconnects (declaring again) and publishes.
            try publisher.connection(within: .seconds(60))?.publish(AMQPTest.message(topology, body: "after", id: "a1"))
            let consumer = try AMQPConnection(settings: AMQPTest.settings(url: url))
            defer { consumer.close() }
            try consumer.consume(queue: topology.queue, prefetch: 10)
            var received: [String] = []
            while received.count < 2, let delivery = try consumer.nextDelivery(timeout: .seconds(10)) {
                received.append(delivery.messageID ?? "")
                try consumer.ack(delivery.tag)
            }
            return received
        }
        #expect(received == ["b1", "a1"])
        #expect(MetricsReading(registry).value("amqp_reconnects_total", #"session="test""#) == 1)
    }
}
