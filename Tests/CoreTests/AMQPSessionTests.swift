import Core
import Foundation
import Logging
import Metrics
import Prometheus
import TestSupport
import Testing

/// AMQPSession against the RabbitMQ of `./test.sh`, and through a proxy that stops forwarding.
@Suite struct AMQPSessionTests {
    @Test func preparedSessionsPublishAndConsume() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let publisher = try AMQPTest.session(topology)
        let consumer = try AMQPTest.session(topology, consumer: .init(queue: topology.queue, prefetch: 10))
        let receiving = try #require(consumer.connection(within: .seconds(10)))
        let sending = try #require(publisher.connection(within: .seconds(10)))
        try sending.publish(AMQPTest.message(topology, body: "hello", id: "h1"))
        let delivery = try #require(try receiving.nextDelivery(timeout: .seconds(10)))
        #expect(delivery.messageID == "h1")
        try receiving.ack(delivery.tag)
        publisher.close()
        consumer.close()
        #expect(!publisher.isReady)
    }

    @Test func anUnservicedConnectionIsClosedByTheBrokerAfterMissedHeartbeats() async throws {
        // The fault the keep-alive below prevents: nobody calls into the connection for 4 heartbeats.
        let closed = try await onOwnThread {
            let connection = try AMQPTest.connect(heartbeat: .seconds(1))
            Thread.sleep(forTimeInterval: 4.5)
            _ = try? connection.processIncoming()
            return !connection.isOpen
        }
        #expect(closed)
    }

    @Test func anIdleSessionKeepsItsConnectionThroughManyHeartbeats() async throws {
        let registry = PrometheusCollectorRegistry()
        let (same, open, interval) = try await onOwnThread {
            let session = try AMQPTest.session(
                nil, settings: AMQPTest.settings(heartbeat: .seconds(1)), metrics: PrometheusMetricsFactory(registry: registry))
            defer { session.close() }
            guard let first = session.connection(within: .seconds(10)) else { throw NotConnected() }
            session.sleep(.seconds(5))
            let second = session.connection(within: .seconds(10))
            return (second === first, first.isOpen, session.keepAliveInterval)
        }
        #expect(same && open)
        #expect(interval <= .milliseconds(500))
        #expect(MetricsReading(registry).value("amqp_reconnects_total", #"session="test""#) == 0)
    }

    @Test func aBrokenConnectionIsReplacedAndPreparedAgain() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let registry = PrometheusCollectorRegistry()
        let session = try AMQPTest.session(topology, metrics: PrometheusMetricsFactory(registry: registry))
        let first = try #require(session.connection(within: .seconds(10)))
        #expect(throws: AMQPError.self) { try first.messageCount(queue: "test.missing.\(UUID())") }
        #expect(!session.isReady)
        let second = try #require(session.connection(within: .seconds(10)))
        #expect(second.id != first.id)
        #expect(try second.messageCount(queue: topology.queue) == 0)
        #expect(MetricsReading(registry).value("amqp_reconnects_total", #"session="test""#) == 1)
        session.close()
    }

    @Test func anUnreachableBrokerIsRetriedUntilStopWhichEndsTheWaitAtOnce() async throws {
        var settings = try AMQPTest.settings(url: AMQPTest.unusedURL())
        settings.connectTimeout = .seconds(1)
        let stop = StopFlag()
        async let waiting = onOwnThread { [settings] in
            let session = try AMQPTest.session(
                nil, settings: settings, backoff: Backoff(initial: .seconds(30), maximum: .seconds(30)), stop: stop)
            // The first attempt fails; the next one is 30 s away.
            let notYet = session.connection(within: .milliseconds(300)) == nil
            let started = ContinuousClock.now
            let none = session.connection(within: .seconds(60)) == nil
            return (notYet, none, ContinuousClock.now - started)
        }
        try await Task.sleep(for: .seconds(1))
        stop.set()
        let (notYet, none, waited) = try await waiting
        #expect(notYet && none)
        #expect(waited < .seconds(10))
    }

    @Test func manyFailedAttemptsLogOneLineAndTheRecoveryAnother() async throws {
        let logs = LogRecorder()
        let proxy = try TCPProxy(targetPort: try AMQPEndpoint(url: TestServers.amqpURL()).port)
        defer { proxy.stop() }
        var settings = try AMQPTest.settings()
        settings.endpoint.port = proxy.port
        settings.connectTimeout = .milliseconds(200)
        proxy.pause()
        let (attempts, connected) = try await onOwnThread { [settings] in
            let session = AMQPSession(
                name: "test", settings: settings, topology: nil,
                backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(50)), stop: StopFlag(),
                logger: logs.logger(level: .trace), metrics: NOOPMetricsHandler.instance)
            defer { session.close() }
            _ = session.connection(within: .seconds(2))
            let attempts = logs.messages(at: .debug).count + logs.messages(at: .warning).count
            proxy.resume()
            return (attempts, session.connection(within: .seconds(10)) != nil)
        }
        #expect(attempts >= 5)
        #expect(connected)
        #expect(logs.messages(at: .warning) == ["amqp unavailable, retrying with backoff"])
        #expect(logs.messages(at: .info) == ["amqp connected"])
    }

    @Test func aSessionFailsOverToTheNextEndpoint() throws {
        var settings = try AMQPTest.settings(url: AMQPTest.unusedURL())
        settings.failoverEndpoints = [try AMQPEndpoint(url: TestServers.amqpURL())]
        let session = try AMQPTest.session(nil, settings: settings)
        let connection = try #require(session.connection(within: .seconds(10)))
        #expect(connection.settings.endpoint == settings.failoverEndpoints[0])
        session.close()
    }

    @Test func aSilentBrokerIsNoticedThroughHeartbeatsAndReplacedOnceItAnswers() async throws {
        let proxy = try TCPProxy(targetPort: try AMQPEndpoint(url: TestServers.amqpURL()).port)
        defer { proxy.stop() }
        var settings = try AMQPTest.settings(heartbeat: .seconds(1))
        settings.endpoint.port = proxy.port
        settings.connectTimeout = .seconds(1)
        let (noticed, whilePaused, reconnected) = try await onOwnThread { [settings] in
            let session = try AMQPTest.session(nil, settings: settings)
            defer { session.close() }
            guard let first = session.connection(within: .seconds(10)) else { throw NotConnected() }
            proxy.pause()
            // Idle, as a relay waiting for orders: the keep-alive finds the connection dead within a few heartbeats.
            let limit = ContinuousClock.now + .seconds(15)
            while session.isReady, ContinuousClock.now < limit { session.sleep(.milliseconds(100)) }
            let noticed = !session.isReady && !first.isOpen
            let whilePaused = session.connection(within: .seconds(2))?.id
            proxy.resume()
            let second = session.connection(within: .seconds(20))
            return (noticed, whilePaused, second.map { $0.id != first.id && $0.isOpen } ?? false)
        }
        #expect(noticed)
        #expect(whilePaused == nil)
        #expect(reconnected)
    }

    @Test func stopBreaksAHandshakeThatNeverCompletes() async throws {
        let proxy = try TCPProxy(targetPort: try AMQPEndpoint(url: TestServers.amqpURL()).port)
        defer { proxy.stop() }
        proxy.pause()
        var settings = try AMQPTest.settings()
        settings.endpoint.port = proxy.port
        settings.connectTimeout = .seconds(60)
        let stop = StopFlag()
        async let connecting = onOwnThread { [settings] in
            let started = ContinuousClock.now
            let result = Result { try AMQPConnection(settings: settings, stop: stop) }
            return (ContinuousClock.now - started, (try? result.get()) == nil)
        }
        try await Task.sleep(for: .milliseconds(500))
        stop.set()
        let (took, failed) = try await connecting
        #expect(failed)
        // The stop grace (1 s) and the 0.5 s before it, far from the 60 s connect timeout.
        #expect(took < .seconds(10))
    }
}

struct NotConnected: Error {}
