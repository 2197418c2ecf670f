/// Publisher-confirm bookkeeping for one batch: message `i` carries publish sequence number `firstTag + i`.
///
/// Acks and nacks may cover several tags (`multiple`); tags outside the batch (late answers to an
/// earlier batch) are ignored. A basic.return has no tag, but the broker sends it before the ack of
/// the same message and in publish order, so it belongs to the earliest unanswered, not yet returned
/// message with the same exchange, routing key, message id and body.
struct AMQPConfirmTracker {
    struct Returned: Equatable {
        var exchange: String
        var routingKey: String
        var messageID: String?
        var body: [UInt8]
        var replyCode: UInt16
        var replyText: String
    }

    let firstTag: UInt64
    private let messages: [AMQPMessage]
    private(set) var outcomes: [AMQPPublishOutcome]
    private var returns: [Int: AMQPPublishOutcome] = [:]
    private var unanswered: Int

    init(firstTag: UInt64, messages: [AMQPMessage]) {
        self.firstTag = firstTag
        self.messages = messages
        self.outcomes = Array(repeating: .unconfirmed, count: messages.count)
        self.unanswered = messages.count
    }

    var isComplete: Bool { unanswered == 0 }

    mutating func ack(tag: UInt64, multiple: Bool) {
        let returns = self.returns
        answer(tag: tag, multiple: multiple) { returns[$0] ?? .confirmed }
    }

    mutating func nack(tag: UInt64, multiple: Bool) {
        answer(tag: tag, multiple: multiple) { _ in .nacked }
    }

    mutating func returned(_ message: Returned) {
        let index = messages.indices.first { index in
            outcomes[index] == .unconfirmed && returns[index] == nil
                && messages[index].exchange == message.exchange && messages[index].routingKey == message.routingKey
                && messages[index].messageID == message.messageID && messages[index].body == message.body
        }
        if let index {
            returns[index] = .returned(replyCode: message.replyCode, replyText: message.replyText)
        }
    }

    private mutating func answer(tag: UInt64, multiple: Bool, outcome: (Int) -> AMQPPublishOutcome) {
        guard tag >= firstTag else { return }
        let last = Int(clamping: tag - firstTag)
        guard last < messages.count else { return }
        for index in (multiple ? 0...last : last...last) where outcomes[index] == .unconfirmed {
            outcomes[index] = outcome(index)
            unanswered -= 1
        }
    }
}
