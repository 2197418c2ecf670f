import Core
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// Pushes new orders to every open stream of this instance. One connection LISTENs for
/// read-model-sync's commit signal (`ReadModelSignal`), and one read per signal serves every stream
/// (`StreamFanOutLoop`); an idle stream is a mailbox here and a suspended task, nothing more.
///
/// A stream registers before anything else, and learns the position the hub has read up to: every
/// order after it reaches its mailbox. The registry, the pushes of one read and the move of the position
/// happen under one lock, so a stream never misses a read nor sees one twice.
final class StreamHub: Service, Sendable {
    enum Refusal: Error, Equatable {
        /// The hub has not read the read model yet (it is unreachable since the start).
        case notReady
        case tooManyStreams(limit: Int)
    }

    struct Registry {
        /// Every order up to here has been pushed; nil before the first read.
        var position: StreamPosition?
        var nextID: UInt64 = 0
        var byClient: [String: [UInt64: StreamSubscriber]] = [:]
        var open = 0
    }

    let settings: StreamSettings
    let database: DatabaseSettings
    let logger: Logger
    private let registry = Mutex(Registry())
    private let openStreams: Gauge
    private let ordersPushed: Counter
    private let fellBehind: Counter

    init(settings: StreamSettings, database: DatabaseSettings, logger: Logger, metrics: any MetricsFactory) {
        self.settings = settings
        self.database = database
        self.logger = logger
        self.openStreams = Gauge(label: "streams_open", factory: metrics)
        self.ordersPushed = Counter(label: "stream_orders_pushed_total", factory: metrics)
        self.fellBehind = Counter(label: "streams_fell_behind_total", factory: metrics)
    }

    var openStreamCount: Int { registry.withLock { $0.open } }

    /// The position the hub has pushed every order up to.
    var position: StreamPosition? { registry.withLock { $0.position } }

    /// A new stream of `client`'s orders (of `currency`, if given), and the position from which the
    /// hub pushes to it.
    func register(client: String, currency: Currency?) throws(Refusal) -> (StreamSubscriber, StreamPosition) {
        let result = registry.withLock { registry -> Result<(StreamSubscriber, StreamPosition), Refusal> in
            guard let position = registry.position else { return .failure(.notReady) }
            var streams = registry.byClient[client] ?? [:]
            guard streams.count < settings.maxPerClient else { return .failure(.tooManyStreams(limit: settings.maxPerClient)) }
            registry.nextID += 1
            let subscriber = StreamSubscriber(
                id: registry.nextID, clientID: client, currency: currency, capacity: settings.bufferEvents)
            streams[subscriber.id] = subscriber
            registry.byClient[client] = streams
            registry.open += 1
            openStreams.record(registry.open)
            return .success((subscriber, position))
        }
        return try result.get()
    }

    /// Idempotent.
    func unregister(_ subscriber: StreamSubscriber) {
        registry.withLock { registry in
            guard registry.byClient[subscriber.clientID]?.removeValue(forKey: subscriber.id) != nil else { return }
            if registry.byClient[subscriber.clientID]?.isEmpty == true { registry.byClient[subscriber.clientID] = nil }
            registry.open -= 1
            openStreams.record(registry.open)
        }
    }

    /// The first position, once the read model answered: streams start from here.
    func start(at position: StreamPosition) {
        registry.withLock { registry in
            if registry.position == nil { registry.position = position }
        }
    }

    /// Hands the orders of one read (in position order) to the streams of their clients, and moves the
    /// position to `through`.
    func publish(_ orders: [StreamedOrder], through: StreamPosition) {
        let frames = orders.map(EventStreamFrame.order)
        var pushed = 0
        var behind: [StreamSubscriber] = []
        registry.withLock { registry in
            var indexesByClient: [String: [Int]] = [:]
            for (index, order) in orders.enumerated() where registry.byClient[order.clientID] != nil {
                indexesByClient[order.clientID, default: []].append(index)
            }
            for (client, indexes) in indexesByClient {
                // One delivery per currency filter, shared by the client's streams that read it.
                var deliveries: [String: StreamDelivery] = [:]
                for subscriber in registry.byClient[client]!.values {
                    let key = subscriber.currency?.code ?? ""
                    let delivery =
                        deliveries[key]
                        ?? Self.delivery(
                            indexes.filter { subscriber.currency == nil || orders[$0].order.currency == key }, orders, frames)
                    deliveries[key] = delivery
                    guard !delivery.positions.isEmpty else { continue }
                    switch subscriber.push(delivery) {
                    case .accepted: pushed += delivery.positions.count
                    case .overflowed: behind.append(subscriber)
                    case .dropped: break
                    }
                }
            }
            if registry.position.map({ through > $0 }) ?? true { registry.position = through }
        }
        ordersPushed.increment(by: pushed)
        guard !behind.isEmpty else { return }
        for subscriber in behind { subscriber.cutWriter() }
        fellBehind.increment(by: behind.count)
        logger.info(
            "streams fell behind and were closed",
            metadata: ["stream.count": "\(behind.count)", "client.ids": "\(Set(behind.map(\.clientID)).sorted().joined(separator: ","))"])
    }

    private static func delivery(_ indexes: [Int], _ orders: [StreamedOrder], _ frames: [ByteBuffer]) -> StreamDelivery {
        var combined = ByteBuffer()
        for index in indexes { combined.writeImmutableBuffer(frames[index]) }
        return StreamDelivery(positions: indexes.map { orders[$0].position }, frames: indexes.map { frames[$0] }, combined: combined)
    }

    private var subscribers: [StreamSubscriber] {
        registry.withLock { $0.byClient.values.flatMap(\.values) }
    }

    // MARK: - Service

    /// Reads and pushes until graceful shutdown, ticking every stream (a liveness probe every second, a
    /// heartbeat every `heartbeat`); then closes what is
    /// left (the server has closed its streams before: it stops first).
    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await BlockingLoop.run(name: "stream-fanout") { stop in StreamFanOutLoop(hub: self, stop: stop).run() }
            }
            group.addTask {
                try? await cancelWhenGracefulShutdown {
                    var lastHeartbeat = ContinuousClock.now
                    while true {
                        try await Task.sleep(for: min(self.settings.liveness, self.settings.heartbeat))
                        let heartbeat = ContinuousClock.now - lastHeartbeat >= self.settings.heartbeat
                        if heartbeat { lastHeartbeat = .now }
                        for subscriber in self.subscribers { subscriber.tick(heartbeat: heartbeat) }
                    }
                }
            }
        }
        for subscriber in subscribers { subscriber.close(.shutdown) }
    }
}
