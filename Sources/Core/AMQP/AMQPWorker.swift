import Foundation
import Logging
import ServiceLifecycle

/// Owns one AMQP connection on a dedicated thread, so async code never runs rabbitmq-c's blocking
/// calls on an event loop or the cooperative pool, and the connection is never used by two threads.
///
/// `withConnection` hands the body a ready connection (connecting, declaring and consuming per the
/// connector first, with its retry policy). A connection that broke is dropped after the body, so the
/// next call reconnects. While no work comes, the thread keeps the connection alive (heartbeats) and
/// notices a broker close. A Service: graceful shutdown closes the connection and stops the thread.
public final class AMQPWorker: Service, Sendable {
    public let connector: AMQPConnector
    private let queue = AMQPJobQueue()

    public init(connector: AMQPConnector, name: String = "amqp") {
        self.connector = connector
        let queue = self.queue
        let thread = Thread {
            let context = AMQPWorkerContext(connector: connector, queue: queue)
            let idle = AMQPWorker.keepAliveInterval(heartbeat: connector.settings.heartbeat)
            while true {
                let (work, stopping) = queue.next(idle: idle)
                if stopping { context.close() }
                switch work {
                case .job(let job)?: job.run(context)
                case .idle?: context.keepAlive()
                case nil:
                    queue.finish()
                    return
                }
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        queue.stop()
    }

    /// How long the thread may sit idle before it services the connection: well inside a heartbeat.
    static func keepAliveInterval(heartbeat: Duration) -> Duration {
        heartbeat > .zero ? min(heartbeat / 2, .seconds(5)) : .seconds(5)
    }

    /// Runs `body` on the worker thread with a ready connection. Errors of the body are rethrown;
    /// if the connection broke, the next call gets a new one. Cancelling the caller interrupts a
    /// backoff wait, not a blocking call already in progress (those are bounded by their timeouts).
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (AMQPConnection) throws -> T) async throws -> T
    {
        let queue = self.queue
        let id = queue.makeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = AMQPJobQueue.Job(
                    id: id,
                    run: { context in continuation.resume(with: Result { try context.run(body) }) },
                    cancel: { continuation.resume(throwing: CancellationError()) }
                )
                if !queue.enqueue(job) {
                    continuation.resume(throwing: Task.isCancelled ? CancellationError() : Self.closedError)
                }
            }
        } onCancel: {
            queue.cancel(id)
        }
    }

    /// Connects now (declaring and consuming per the connector) unless connected already.
    public func connect() async throws {
        try await withConnection { _ in }
    }

    /// True while the worker holds a connection it believes open (for readiness checks).
    public var isConnected: Bool { queue.isConnected }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes the connection and stops the thread; later calls fail with `connectionClosed`.
    public func close() async {
        await queue.stopAndWait()
    }

    static let closedError = AMQPError(.connectionClosed, message: "the AMQP worker is closed")
}

/// The worker thread's state: created, used and dropped on that thread only.
final class AMQPWorkerContext {
    private let connector: AMQPConnector
    private let queue: AMQPJobQueue
    private var machine: AMQPSessionStateMachine
    private var connection: AMQPConnection?

    init(connector: AMQPConnector, queue: AMQPJobQueue) {
        self.connector = connector
        self.queue = queue
        self.machine = connector.makeStateMachine()
    }

    func run<T>(_ body: (AMQPConnection) throws -> T) throws -> T {
        let connection = try readyConnection()
        defer { dropIfBroken() }
        return try body(connection)
    }

    /// Sends due heartbeats and reads what the broker sent, so an idle connection stays open
    /// and a dead one is noticed before the next job.
    func keepAlive() {
        guard let connection else { return }
        try? connection.processIncoming()
        dropIfBroken()
    }

    func close() {
        machine.close()
        connection?.close()
        connection = nil
        queue.isConnected = false
    }

    private func readyConnection() throws -> AMQPConnection {
        if let connection {
            try? connection.processIncoming()
            dropIfBroken()
        }
        if let connection { return connection }
        let queue = self.queue
        let fresh = try connector.connect(
            &machine,
            sleep: { queue.sleep($0) },
            abandoned: { queue.isRunningJobCancelled ? CancellationError() as any Error : AMQPWorker.closedError }
        )
        connection = fresh
        queue.isConnected = true
        return fresh
    }

    private func dropIfBroken() {
        guard let connection, !connection.isOpen else { return }
        connector.logger.warning(
            "amqp connection lost",
            metadata: [
                "amqp.endpoint": "\(connector.settings.endpoint)",
                "error.detail": "\(connection.failure.map { String(reflecting: $0) } ?? "closed")",
            ]
        )
        self.connection = nil
        machine.connectionLost()
        queue.isConnected = false
    }
}
