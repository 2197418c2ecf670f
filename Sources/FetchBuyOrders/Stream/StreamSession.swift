import Core
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// One open stream, from its first block to its end: the orders it missed (when it resumes), then what
/// the hub pushes, a heartbeat every `heartbeat`, and at shutdown a last comment.
///
/// The writing runs in a task of its own, so that a stream that fell behind can be cut while its write
/// waits on a reader that does not read; the handler's task waits for it.
final class StreamSession: Sendable {
    enum Ended: Error {
        case fellBehind
    }

    let hub: StreamHub
    let database: PostgresClient
    let subscriber: StreamSubscriber
    /// Where the hub's pushes to this stream begin.
    let registered: StreamPosition
    let resume: StreamPosition?
    let logger: Logger

    init(
        hub: StreamHub, database: PostgresClient, subscriber: StreamSubscriber, registered: StreamPosition,
        resume: StreamPosition?, logger: Logger
    ) {
        self.hub = hub
        self.database = database
        self.subscriber = subscriber
        self.registered = registered
        self.resume = resume
        self.logger = logger
    }

    /// A response that is dropped unwritten (a HEAD request) leaves no stream behind.
    deinit {
        hub.unregister(subscriber)
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        defer { hub.unregister(subscriber) }
        let output = StreamOutput(writer)
        let pump = Task { try await self.pump(into: output) }
        subscriber.whenFallingBehind { pump.cancel() }
        let grace = hub.settings.shutdownGrace
        do {
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await pump.value
                } onGracefulShutdown: { [subscriber] in
                    subscriber.close(.shutdown)
                    Task {
                        try? await Task.sleep(for: grace)
                        pump.cancel()
                    }
                }
            } onCancel: {
                pump.cancel()
            }
        } catch {
            if subscriber.closing == .fellBehind {
                logger.info("stream closed: the reader fell behind; it resumes with Last-Event-ID")
            }
            throw error
        }
        try await writer.finish(nil)
    }

    private func pump(into output: StreamOutput) async throws {
        let start = max(resume ?? registered, registered)
        try await output.write(
            EventStreamFrame.opening(client: subscriber.clientID, retry: hub.settings.retryHint, start: resume == nil ? start : nil))
        var last = resume ?? registered
        if let resume, resume < registered { last = try await catchUp(after: resume, into: output) }
        var identified = last
        while true {
            await subscriber.wait()
            try Task.checkCancellation()
            // Read before taking: every order up to it is in this take or written already.
            let passed = hub.position
            let take = subscriber.take()
            if take.closing == .fellBehind { throw Ended.fellBehind }
            // One write for everything taken: a stream that fell behind catches up in few writes.
            var batch: ByteBuffer?
            for delivery in take.deliveries {
                guard let bytes = delivery.bytes(after: last) else { continue }
                if batch == nil { batch = bytes } else { batch!.writeImmutableBuffer(bytes) }
                last = max(last, delivery.positions.last!)
            }
            if let batch { try await output.write(batch) }
            identified = max(identified, last)
            if take.closing == .shutdown {
                try await output.write(EventStreamFrame.shutdown)
                return
            }
            if take.heartbeat {
                let moved = passed.flatMap { $0 > identified ? $0 : nil }
                try await output.write(EventStreamFrame.heartbeat(passed: moved))
                if let moved {
                    identified = moved
                    last = max(last, moved)
                }
            } else if take.probe && take.deliveries.isEmpty {
                // No byte goes out (an empty chunk is not framed), but it fails once the client left.
                try await output.write(ByteBuffer())
            }
        }
    }

    /// Writes the client's orders after `resume` up to where the hub's pushes begin; returns the last
    /// position written.
    private func catchUp(after resume: StreamPosition, into output: StreamOutput) async throws -> StreamPosition {
        var after = resume
        let (client, currency, through, limit) = (subscriber.clientID, subscriber.currency, registered, hub.settings.readLimit)
        while true {
            let from = after
            let orders = try await database.withConnection(idempotent: true) { connection in
                try StreamFeed.catchUp(client: client, currency: currency, after: from, through: through, limit: limit, on: connection)
            }
            guard let lastOrder = orders.last else { return after }
            var bytes = ByteBuffer()
            for order in orders { bytes.writeImmutableBuffer(EventStreamFrame.order(order)) }
            try await output.write(bytes)
            after = lastOrder.position
            if orders.count < limit { return after }
        }
    }
}

/// The response's body writer, handed to the stream's writing task: only that task uses it, while the
/// handler's task waits for that task to end, hence `@unchecked Sendable`.
final class StreamOutput: @unchecked Sendable {
    private var writer: any ResponseBodyWriter

    init(_ writer: any ResponseBodyWriter) {
        self.writer = writer
    }

    func write(_ bytes: ByteBuffer) async throws {
        try await writer.write(bytes)
    }
}
