import Foundation
import Logging

/// How to get a ready connection: where to connect, what to declare and consume after every
/// (re)connect, and how often to retry. Drives `AMQPSessionStateMachine` with blocking I/O.
public struct AMQPConnector: Sendable {
    /// A manual-ack consumer started on every new connection.
    public struct Consumer: Sendable, Equatable {
        public var queue: String
        public var prefetch: UInt16

        public init(queue: String, prefetch: UInt16 = 32) {
            self.queue = queue
            self.prefetch = prefetch
        }
    }

    public var settings: AMQPSettings
    public var topology: AMQPTopology?
    public var consumer: Consumer?
    public var retry: AMQPRetryPolicy
    public var logger: Logger

    public init(
        settings: AMQPSettings,
        topology: AMQPTopology? = nil,
        consumer: Consumer? = nil,
        retry: AMQPRetryPolicy = AMQPRetryPolicy(),
        logger: Logger
    ) {
        self.settings = settings
        self.topology = topology
        self.consumer = consumer
        self.retry = retry
        self.logger = logger
    }

    /// Connects, declares and starts consuming, retrying with backoff (blocking; the waits sleep this thread).
    /// Throws the last attempt's error once `policy` (default: `retry`) is exhausted.
    public func connect(retrying policy: AMQPRetryPolicy? = nil) throws -> AMQPConnection {
        var machine = makeStateMachine(policy: policy ?? retry)
        return try connect(&machine) { delay in
            Thread.sleep(forTimeInterval: delay / .seconds(1))
            return true
        }
    }

    func makeStateMachine(policy: AMQPRetryPolicy? = nil) -> AMQPSessionStateMachine {
        AMQPSessionStateMachine(policy: policy ?? retry, declaresTopology: topology != nil, consumes: consumer != nil)
    }

    /// Runs `machine` until it has a ready connection. `sleep` waits out a backoff and returns false
    /// to abandon the attempt (shutdown or cancellation), which throws `abandoned()`.
    func connect(
        _ machine: inout AMQPSessionStateMachine,
        sleep: (Duration) -> Bool,
        abandoned: () -> any Error = { CancellationError() }
    ) throws -> AMQPConnection {
        var connection: AMQPConnection?
        var lastError: any Error = AMQPError(.connectionFailed, message: "not connected")
        var action = machine.start()
        while true {
            switch action {
            case .connect(let attempt):
                connection = nil
                logger.info(
                    "amqp connecting",
                    metadata: ["amqp.endpoint": "\(settings.endpoint)", "amqp.attempt": "\(attempt)"]
                )
                do {
                    connection = try AMQPConnection(settings: settings)
                    action = machine.succeeded()
                } catch {
                    lastError = error
                    action = machine.failed()
                }
            case .declareTopology, .startConsuming:
                do {
                    guard let connection else { throw AMQPError(.connectionClosed, message: "not connected") }
                    try prepare(connection, action)
                    action = machine.succeeded()
                } catch {
                    lastError = error
                    action = machine.failed()
                }
            case .useConnection:
                guard let connection, connection.isOpen else {
                    machine.connectionLost()
                    action = machine.start()
                    continue
                }
                logger.info("amqp connected", metadata: ["amqp.endpoint": "\(settings.endpoint)"])
                return connection
            case .wait(let delay, let attempt):
                connection = nil
                logger.warning(
                    "amqp connection attempt failed, retrying",
                    metadata: [
                        "amqp.endpoint": "\(settings.endpoint)", "amqp.attempt": "\(attempt - 1)",
                        "retry.delay_s": "\(delay)", "error.detail": "\(String(reflecting: lastError))",
                    ]
                )
                guard sleep(delay) else {
                    machine.cancel()
                    throw abandoned()
                }
                action = machine.waited()
            case .giveUp:
                logger.warning(
                    "amqp connection failed, giving up",
                    metadata: [
                        "amqp.endpoint": "\(settings.endpoint)", "amqp.attempts": "\(machine.policy.maxAttempts)",
                        "error.detail": "\(String(reflecting: lastError))",
                    ]
                )
                throw lastError
            case .refuse:
                throw AMQPError(.connectionClosed, message: "the AMQP session is closed")
            }
        }
    }

    private func prepare(_ connection: AMQPConnection, _ action: AMQPSessionStateMachine.Action) throws {
        switch action {
        case .declareTopology:
            if let topology { try connection.declare(topology) }
        case .startConsuming:
            if let consumer { try connection.consume(queue: consumer.queue, prefetch: consumer.prefetch) }
        default:
            break
        }
    }
}
