import Core
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Groups concurrent order requests into one transaction each, because every order updates the one
/// row holding the BTC total. No timer: while a batch is written new requests queue up, and the next
/// batch takes all of them (up to `maxBatchSize`), so batches grow with load and a lone request is
/// written at once. One batch at a time: a second one would only wait for the total's row lock, and
/// split the queue into smaller batches (bench/create_buy_orders.sh: 15 to 25 % fewer orders/s).
///
/// The queue is bounded in length (`maxQueued`) and in time (`queueTimeout`): a request over either is
/// refused, and nothing of it is stored. While the database is unreachable, each batch fails at once
/// (the client's connect circuit), so a whole queue fails within moments, not a connect timeout per batch.
final class OrderWriter: Service, Sendable {
    struct Limits: Sendable {
        var maxBatchSize = 256
        var maxQueued = 4096
        /// The longest a request waits in the queue before its batch starts.
        var queueTimeout = Duration.seconds(3)
        /// A batch running longer makes `/ready` report the writer stuck.
        var stuckAfter = Duration.seconds(5)
        /// How long `/ready` reports a failed batch, unless one succeeds meanwhile.
        var failureShownFor = Duration.seconds(10)
    }

    private struct Pending {
        let request: OrderRequest
        let price: Price?
        let queuedAt: ContinuousClock.Instant
        let continuation: CheckedContinuation<OrderOutcome, any Error>
    }

    private struct Queue {
        var pending: [Pending] = []
        var isClosed = false
    }

    private let database: PostgresClient
    private let store = OrderStore()
    private let limits: Limits
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let health: Mutex<WriterHealth>
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    private let batchSizes = Recorder(label: "order_batch_size", aggregate: true)
    private let refusals = Counter(label: "order_writer_refusals_total")
    private let queueLength = Gauge(label: "order_queue_length")

    init(database: PostgresClient, limits: Limits, logger: Logger) {
        self.database = database
        self.limits = limits
        self.logger = logger
        self.health = Mutex(WriterHealth(stuckAfter: limits.stuckAfter, failureShownFor: limits.failureShownFor))
        (doorbell, ring) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues one request and waits for its outcome; throws `WriterRefusal` when it is not written at all.
    /// `price`: the market price, for a request without a quote.
    func submit(_ request: OrderRequest, price: Price?) async throws -> OrderOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let refusal = queue.withLock { queue -> WriterRefusal? in
                if queue.isClosed { return .stopping }
                if queue.pending.count >= limits.maxQueued { return .queueFull }
                queue.pending.append(
                    Pending(request: request, price: price, queuedAt: .now, continuation: continuation))
                queueLength.record(queue.pending.count)
                return nil
            }
            if let refusal {
                refusals.increment()
                continuation.resume(throwing: refusal)
            } else {
                ring.yield()
            }
        }
    }

    /// Why `/ready` should report the writer down, or nil.
    var problem: String? { health.withLock { $0.problem(at: .now) } }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.refuseOverdueRequests() }
            await withGracefulShutdownHandler {
                for await _ in doorbell {
                    await writeQueued()
                }
                // Shutting down: nothing new is accepted; write what is still queued.
                await writeQueued()
            } onGracefulShutdown: {
                self.queue.withLock { $0.isClosed = true }
                self.ring.finish()
            }
            group.cancelAll()
        }
    }

    private func writeQueued() async {
        while case let batch = takeBatch(), !batch.isEmpty {
            await write(batch)
        }
    }

    private func takeBatch() -> [Pending] {
        queue.withLock { queue in
            let count = min(queue.pending.count, limits.maxBatchSize)
            defer {
                queue.pending.removeFirst(count)
                queueLength.record(queue.pending.count)
            }
            return Array(queue.pending.prefix(count))
        }
    }

    /// Refuses, every 100 ms, the requests that have waited `queueTimeout` without their batch starting.
    private func refuseOverdueRequests() async {
        while (try? await Task.sleep(for: .milliseconds(100))) != nil {
            let deadline = ContinuousClock.now - limits.queueTimeout
            let overdue = queue.withLock { queue -> [Pending] in
                // The queue is in arrival order: the overdue ones are at its front.
                let count = queue.pending.prefix { $0.queuedAt < deadline }.count
                guard count > 0 else { return [] }
                defer {
                    queue.pending.removeFirst(count)
                    queueLength.record(queue.pending.count)
                }
                return Array(queue.pending.prefix(count))
            }
            refusals.increment(by: overdue.count)
            for pending in overdue { pending.continuation.resume(throwing: WriterRefusal.queueTimeout) }
        }
    }

    /// Writes a batch; if the batch fails because of what one of its requests holds, each request is
    /// tried alone so that one bad request cannot fail its neighbours. Any other failure (the database
    /// unreachable, a lock or statement timeout) fails the whole batch at once.
    private func write(_ batch: [Pending]) async {
        batchSizes.record(batch.count)
        health.withLock { $0.started(at: .now) }
        do {
            let outcomes = try await transaction(batch)
            health.withLock { $0.succeeded() }
            for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(returning: outcome) }
        } catch let unknown as CommitOutcomeUnknown {
            record(unknown.cause)
            logger.warning(
                "order batch commit outcome unknown: the connection broke after COMMIT was sent",
                metadata: ["error.detail": "\(unknown.cause.debugDescription)", "order.batch_size": "\(batch.count)"])
            for (pending, outcome) in zip(batch, unknown.outcomes) { pending.continuation.resume(returning: outcome) }
        } catch let error as PostgresError where batch.count > 1 && error.isAboutTheData {
            logger.warning("order batch failed, writing its requests one by one", metadata: ["error.detail": "\(error.debugDescription)"])
            for pending in batch { await write([pending]) }
        } catch {
            record(error)
            for pending in batch { pending.continuation.resume(throwing: error) }
        }
    }

    private func record(_ error: any Error) {
        let reason = (error as? PostgresError).map { "\($0.code): \($0.message)" } ?? "\(error)"
        health.withLock { $0.failed(reason, at: .now) }
    }

    /// One transaction, retried a few times on serialization failures and deadlocks, and once on a
    /// fresh connection when the connection broke before COMMIT was sent (`OrderStore` says which).
    private func transaction(_ batch: [Pending]) async throws -> [OrderOutcome] {
        let requests = batch.map { (request: $0.request, price: $0.price) }
        var attempt = 1
        var reconnected = false
        while true {
            do {
                return try await database.withConnection { [store] in try store.write(requests, on: $0) }
            } catch let error as PostgresError where error.isRetryable && attempt < 3 {
                attempt += 1
            } catch let error as PostgresError where error.code == .connectionLost && !reconnected {
                reconnected = true
            }
        }
    }
}

/// Why the writer did not take a request; nothing of it is stored.
enum WriterRefusal: Error, CustomStringConvertible {
    /// The service is shutting down.
    case stopping
    /// `maxQueued` requests wait already.
    case queueFull
    /// The request waited `queueTimeout` without being written.
    case queueTimeout

    var description: String {
        switch self {
        case .stopping: "the service is shutting down"
        case .queueFull: "too many orders are waiting to be written"
        case .queueTimeout: "the order waited too long to be written (the database is slow or busy)"
        }
    }
}

extension PostgresError {
    /// A failure caused by the values of one request (data exceptions, integrity violations, a trigger's
    /// refusal), where writing the batch's requests one by one isolates it.
    fileprivate var isAboutTheData: Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("23") || sqlState == "P0001"
    }
}
