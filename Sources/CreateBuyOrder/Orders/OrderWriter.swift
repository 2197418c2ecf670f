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
final class OrderWriter: Service, Sendable {
    private struct Pending {
        let request: OrderRequest
        let quote: Quote?
        let continuation: CheckedContinuation<OrderOutcome, any Error>
    }

    private struct Queue {
        var pending: [Pending] = []
        var isClosed = false
    }

    private let database: PostgresClient
    private let store = OrderStore()
    private let maxBatchSize: Int
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    private let batchSizes = Recorder(label: "order_batch_size", aggregate: true)

    init(database: PostgresClient, maxBatchSize: Int, logger: Logger) {
        self.database = database
        self.maxBatchSize = maxBatchSize
        self.logger = logger
        (doorbell, ring) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues one request and waits for its outcome.
    func submit(_ request: OrderRequest, quote: Quote?) async throws -> OrderOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = queue.withLock { queue in
                guard !queue.isClosed else { return false }
                queue.pending.append(Pending(request: request, quote: quote, continuation: continuation))
                return true
            }
            if accepted {
                ring.yield()
            } else {
                continuation.resume(throwing: WriterStopped())
            }
        }
    }

    func run() async throws {
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
    }

    private func writeQueued() async {
        while case let batch = takeBatch(), !batch.isEmpty {
            await write(batch)
        }
    }

    private func takeBatch() -> [Pending] {
        queue.withLock { queue in
            let count = min(queue.pending.count, maxBatchSize)
            defer { queue.pending.removeFirst(count) }
            return Array(queue.pending.prefix(count))
        }
    }

    /// Writes a batch; if the batch as a whole fails, each request is tried alone so that one bad
    /// request cannot fail its neighbours.
    private func write(_ batch: [Pending]) async {
        batchSizes.record(batch.count)
        do {
            let outcomes = try await transaction(batch)
            for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(returning: outcome) }
        } catch let error as PostgresError where batch.count > 1 && error.code != .connectionLost
            && error.code != .connectionFailed
        {
            logger.warning("order batch failed, writing its requests one by one", metadata: ["error.detail": "\(error.debugDescription)"])
            for pending in batch { await write([pending]) }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
        }
    }

    /// One transaction, retried a few times on serialization failures and deadlocks.
    private func transaction(_ batch: [Pending]) async throws -> [OrderOutcome] {
        let requests = batch.map { (request: $0.request, quote: $0.quote) }
        var attempt = 1
        while true {
            do {
                return try await database.withConnection { [store] in try store.write(requests, on: $0) }
            } catch let error as PostgresError where error.isRetryable && attempt < 3 {
                attempt += 1
            }
        }
    }
}

/// The writer no longer accepts requests: the service is shutting down.
struct WriterStopped: Error {}
