/// Which deliveries of one channel are still unsettled, and the frames that settle some of them
/// without touching the others.
///
/// A `multiple` ack or nack settles every unsettled delivery up to its tag, so it is used only for
/// a run of deliveries, from the oldest unsettled one, that all get the same answer: it never crosses a
/// delivery that is still being worked on (held while the database is away, waiting for its dead
/// letter to be confirmed). Answers for tags that are not unsettled (settled already, or of an
/// earlier connection) yield no frame, since the broker would close the channel on them.
public struct AMQPDeliverySettlement: Sendable, Equatable {
    public enum Answer: Sendable, Equatable {
        case ack
        /// basic.nack; `requeue: false` dead-letters through the queue's dead-letter exchange.
        case nack(requeue: Bool)
    }

    /// One basic.ack or basic.nack to send.
    public struct Frame: Sendable, Equatable {
        public var answer: Answer
        public var tag: UInt64
        public var multiple: Bool

        public init(_ answer: Answer, tag: UInt64, multiple: Bool) {
            self.answer = answer
            self.tag = tag
            self.multiple = multiple
        }
    }

    /// Unsettled delivery tags, oldest first (the broker numbers a channel's deliveries upwards).
    public private(set) var unsettled: [UInt64] = []

    public init() {}

    public mutating func received(_ tag: UInt64) {
        precondition(unsettled.last.map { $0 < tag } ?? true, "delivery tags must grow")
        unsettled.append(tag)
    }

    /// Settles `tags` with `answer`; returns the frames that do it, fewest first.
    public mutating func settle(_ tags: some Sequence<UInt64>, with answer: Answer) -> [Frame] {
        let chosen = Set(tags)
        guard !chosen.isEmpty else { return [] }
        var frames: [Frame] = []
        // The leading run of chosen tags: one frame, multiple when it covers more than one delivery.
        let run = unsettled.prefix { chosen.contains($0) }.count
        if run > 0 {
            frames.append(Frame(answer, tag: unsettled[run - 1], multiple: run > 1))
        }
        // The rest one by one: a multiple frame would cover the unsettled tags between them.
        for tag in unsettled.dropFirst(run) where chosen.contains(tag) {
            frames.append(Frame(answer, tag: tag, multiple: false))
        }
        unsettled.removeAll { chosen.contains($0) }
        return frames
    }

    /// Every unsettled delivery, answered `answer` (after an error that left the channel open): one frame.
    public mutating func settleAll(with answer: Answer) -> [Frame] {
        guard let last = unsettled.last else { return [] }
        defer { unsettled.removeAll() }
        return [Frame(answer, tag: last, multiple: unsettled.count > 1)]
    }
}

extension AMQPConnection {
    /// Sends settlement frames computed for deliveries of this connection.
    public func send(_ frames: [AMQPDeliverySettlement.Frame]) throws {
        for frame in frames {
            let tag = AMQPDeliveryTag(value: frame.tag, connectionID: id)
            switch frame.answer {
            case .ack: try ack(tag, multiple: frame.multiple)
            case .nack(let requeue): try nack(tag, multiple: frame.multiple, requeue: requeue)
            }
        }
    }
}
