import Logging
import Metrics

/// The broker connection of a long-running loop: connected, declared and consuming when the loop
/// asks for it, serviced while the loop is idle (heartbeats out, a broker close or a silent broker
/// noticed before the connection is needed), and replaced when it breaks, with a growing wait between
/// failed attempts and the next endpoint each time. `AMQPSessionStateMachine` decides; this class does
/// the I/O, logs one line per change of state, and keeps `amqp_connected` and `amqp_reconnects_total`
/// (labelled with the session's name).
///
/// Every wait ends early once `stop` is set, and the connections it opens break their blocking calls
/// `AMQPConnection.stopGrace` after that. Not Sendable, like the connection it owns: create it, use it
/// and close it on the loop's thread.
public final class AMQPSession {
    /// A manual-ack consumer started on every new connection.
    public struct Consumer: Sendable, Equatable {
        public var queue: String
        public var prefetch: UInt16

        public init(queue: String, prefetch: UInt16) {
            self.queue = queue
            self.prefetch = prefetch
        }
    }

    public let name: String
    public let settings: AMQPSettings
    public let topology: AMQPTopology?
    public let consumer: Consumer?
    private let stop: StopFlag
    private let logger: Logger
    private var machine: AMQPSessionStateMachine
    private var current: AMQPConnection?
    private var endpoint = 0
    /// When the backoff of a `.wait` action is over.
    private var retryAt: ContinuousClock.Instant?
    private var lastError: (any Error)?
    private var lastServiced = ContinuousClock.now
    private let connected: Gauge
    private let reconnects: Counter

    public init(
        name: String, settings: AMQPSettings, topology: AMQPTopology?, consumer: Consumer? = nil,
        backoff: Backoff = Backoff(), stop: StopFlag, logger: Logger, metrics: any MetricsFactory
    ) {
        self.name = name
        var settings = settings
        settings.connectionName = [settings.connectionName, name].compactMap { $0 }.joined(separator: "/")
        self.settings = settings
        self.topology = topology
        self.consumer = consumer
        self.stop = stop
        var logger = logger
        logger[metadataKey: "amqp.session"] = "\(name)"
        self.logger = logger
        self.machine = AMQPSessionStateMachine(
            backoff: backoff, endpointCount: settings.endpoints.count, declaresTopology: topology != nil,
            consumes: consumer != nil)
        self.connected = Gauge(label: "amqp_connected", dimensions: [("session", name)], factory: metrics)
        self.reconnects = Counter(label: "amqp_reconnects_total", dimensions: [("session", name)], factory: metrics)
        connected.record(0)
    }

    deinit {
        close()
    }

    /// How long an idle connection may go without a call into rabbitmq-c: a quarter of the heartbeat,
    /// so ours go out in time and a broker gone silent for two heartbeats is noticed soon after.
    public var keepAliveInterval: Duration {
        let heartbeat = current?.heartbeat ?? settings.heartbeat
        return heartbeat > .zero ? min(heartbeat / 4, .seconds(1)) : .seconds(1)
    }

    /// The connection while it is ready and believed open, without connecting (also while stopping).
    public var readyConnection: AMQPConnection? {
        guard case .ready = machine.state, let current, current.isOpen else { return nil }
        return current
    }

    public var isReady: Bool { readyConnection != nil }

    /// The ready connection, connecting (and waiting out the backoff) for at most `limit`; nil when
    /// it is not ready by then, or once stopping began (a ready connection stays open until `close`).
    public func connection(within limit: Duration) -> AMQPConnection? {
        let deadline = ContinuousClock.now + limit
        while !stop.isSet {
            switch machine.state {
            case .idle:
                perform(machine.start())
            case .ready:
                // A connection left alone for a while may have been closed meanwhile: look before handing it out.
                keepAlive()
                if let current, current.isOpen { return current }
                if case .ready = machine.state {
                    lastError = current?.failure
                    perform(machine.connectionLost())
                }
            case .waiting:
                let due = retryAt ?? .now
                stop.sleep(min(due, deadline) - .now)
                guard ContinuousClock.now >= due else { return nil }
                perform(machine.waited())
            case .connecting, .declaring, .subscribing:
                preconditionFailure("\(machine.state) outside perform")
            case .stopped:
                return nil
            }
        }
        return nil
    }

    /// Services the connection when `keepAliveInterval` passed since the last time: sends due
    /// heartbeats and reads what the broker sent. A broken connection is dropped; the next
    /// `connection(within:)` replaces it.
    public func keepAlive() {
        guard let current, case .ready = machine.state, ContinuousClock.now - lastServiced >= keepAliveInterval
        else { return }
        lastServiced = .now
        try? current.processIncoming()
        if !current.isOpen {
            lastError = current.failure
            perform(machine.connectionLost())
        }
    }

    /// Gives up the ready connection as if it had broken (logged with `reason`, counted as a reconnect,
    /// then the next endpoint after the backoff): for a loop that found the broker's side of the
    /// connection unusable although the socket is fine.
    public func replaceConnection(because reason: AMQPError) {
        guard case .ready = machine.state else { return }
        lastError = reason
        perform(machine.connectionLost())
    }

    /// Waits `duration` while keeping the connection serviced; false once stopping began.
    @discardableResult
    public func sleep(_ duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while !stop.isSet, ContinuousClock.now < deadline {
            stop.sleep(min(deadline - .now, keepAliveInterval))
            keepAlive()
        }
        return !stop.isSet
    }

    /// Closes the connection; the session is over.
    public func close() {
        _ = machine.stop()
        current?.close()
        current = nil
        connected.record(0)
    }

    // MARK: - Actions

    private func perform(_ first: AMQPSessionStateMachine.Action) {
        var action = first
        while true {
            if stop.isSet, action != .stop { action = machine.stop() }
            switch action {
            case .connect(let endpoint):
                self.endpoint = endpoint
                var settings = self.settings
                settings.endpoint = settings.endpoints[endpoint]
                action = step { self.current = try AMQPConnection(settings: settings, stop: self.stop) }
            case .declareTopology:
                action = step {
                    let absent = try self.current?.declare(self.topology!) ?? []
                    if !absent.isEmpty {
                        logger.warning(
                            "amqp queue unavailable: its node is down; going on without it",
                            metadata: ["amqp.queues": "\(absent.joined(separator: ","))", "amqp.endpoint": "\(settings.endpoints[endpoint])"])
                    }
                }
            case .startConsuming:
                action = step { try self.current?.consume(queue: self.consumer!.queue, prefetch: self.consumer!.prefetch) }
            case .ready(let reconnected, let failures):
                lastServiced = .now
                connected.record(1)
                if reconnected { reconnects.increment() }
                logger.info(
                    reconnected ? "amqp reconnected" : "amqp connected",
                    metadata: ["amqp.endpoint": "\(settings.endpoints[endpoint])", "amqp.failed_attempts": "\(failures)"])
                return
            case .wait(let delay, let announcement):
                drop()
                retryAt = .now + delay
                let metadata: Logger.Metadata = [
                    "amqp.endpoint": "\(settings.endpoints[endpoint])", "retry.delay_ms": "\(delay / .milliseconds(1))",
                    "error.detail": "\(lastError.map { String(reflecting: $0) } ?? "unknown")",
                ]
                switch announcement {
                case .lost?: logger.warning("amqp connection lost, reconnecting", metadata: metadata)
                case .unavailable?: logger.warning("amqp unavailable, retrying with backoff", metadata: metadata)
                case nil: logger.debug("amqp connection attempt failed", metadata: metadata)
                }
                return
            case .stop:
                drop()
                return
            }
        }
    }

    /// Runs one step of connecting; what the machine says next.
    private func step(_ body: () throws -> Void) -> AMQPSessionStateMachine.Action {
        do {
            try body()
            return machine.succeeded()
        } catch {
            lastError = error
            return machine.failed()
        }
    }

    private func drop() {
        current?.close()
        current = nil
        connected.record(0)
    }
}
