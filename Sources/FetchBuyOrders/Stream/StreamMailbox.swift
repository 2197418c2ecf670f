import NIOCore

/// New orders for one stream, from one read of the fan-out: each order's SSE frame, and all of them
/// in one buffer, shared by every stream of the client that reads the same currency.
struct StreamDelivery: Sendable {
    var positions: [StreamPosition]
    var frames: [ByteBuffer]
    var combined: ByteBuffer

    /// The frames of the orders after `position`, as one buffer (the shared one when all of them are).
    func bytes(after position: StreamPosition) -> ByteBuffer? {
        guard let firstNew = positions.firstIndex(where: { $0 > position }) else { return nil }
        if firstNew == 0 { return combined }
        var bytes = ByteBuffer()
        for frame in frames[firstNew...] { bytes.writeImmutableBuffer(frame) }
        return bytes
    }
}

/// What the fan-out has handed one stream and the stream has not written yet, as a pure value (its
/// subscriber guards it with a lock): bounded, so a reader that falls behind is closed instead of
/// holding memory or anyone else back.
struct StreamMailbox {
    enum Closing: Sendable, Equatable {
        /// More than `capacity` orders waited: the reader is too slow.
        case fellBehind
        case shutdown
    }

    enum Push: Equatable {
        case accepted
        /// This push went past the capacity: the stream closes now.
        case overflowed
        /// Already closing: dropped.
        case dropped
    }

    /// What the stream writes next.
    struct Take {
        var deliveries: [StreamDelivery] = []
        var heartbeat = false
        /// Whether the client is still there is to be found out (an empty write fails once it left).
        var probe = false
        var closing: Closing?
    }

    let capacity: Int
    private(set) var deliveries: [StreamDelivery] = []
    private(set) var waitingOrders = 0
    private(set) var heartbeatDue = false
    private(set) var probeDue = false
    private(set) var closing: Closing?

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Whether a take would return anything.
    var hasWork: Bool { !deliveries.isEmpty || heartbeatDue || probeDue || closing != nil }

    mutating func push(_ delivery: StreamDelivery) -> Push {
        guard closing == nil else { return .dropped }
        // A delivery into an empty mailbox is always taken: one read may bring more than the capacity.
        if waitingOrders > 0, waitingOrders + delivery.positions.count > capacity {
            close(.fellBehind)
            return .overflowed
        }
        waitingOrders += delivery.positions.count
        deliveries.append(delivery)
        return .accepted
    }

    mutating func tick(heartbeat: Bool) {
        probeDue = true
        if heartbeat { heartbeatDue = true }
    }

    /// A stream that fell behind drops what waits (the client resumes from what it got); at shutdown
    /// what waits is still written, then the last comment.
    mutating func close(_ reason: Closing) {
        guard closing == nil else { return }
        closing = reason
        if reason == .fellBehind {
            deliveries = []
            waitingOrders = 0
        }
    }

    mutating func take() -> Take {
        defer {
            deliveries = []
            waitingOrders = 0
            heartbeatDue = false
            probeDue = false
        }
        return Take(deliveries: deliveries, heartbeat: heartbeatDue, probe: probeDue, closing: closing)
    }
}
