import Testing

@testable import Core

@Suite struct AMQPConfirmTrackerTests {
    func messages(_ count: Int) -> [AMQPMessage] {
        (0..<count).map {
            AMQPMessage(exchange: "x", routingKey: "k", body: [UInt8]("m\($0)".utf8), messageID: "id\($0)")
        }
    }

    @Test func multipleAckConfirmsEveryEarlierMessageOfTheBatch() {
        var tracker = AMQPConfirmTracker(firstTag: 11, messages: messages(4))
        tracker.ack(tag: 13, multiple: true)
        #expect(tracker.outcomes == [.confirmed, .confirmed, .confirmed, .unconfirmed])
        #expect(!tracker.isComplete)
        tracker.ack(tag: 14, multiple: false)
        #expect(tracker.isComplete)
    }

    @Test func nackMarksOnlyItsOwnMessages() {
        var tracker = AMQPConfirmTracker(firstTag: 1, messages: messages(3))
        tracker.ack(tag: 1, multiple: false)
        tracker.nack(tag: 3, multiple: true)
        #expect(tracker.outcomes == [.confirmed, .nacked, .nacked])
    }

    @Test func returnBeforeAckMarksTheEarliestMatchingMessageReturned() {
        var batch = messages(3)
        batch[2] = batch[1]
        var tracker = AMQPConfirmTracker(firstTag: 1, messages: batch)
        tracker.returned(
            .init(
                exchange: "x",
                routingKey: "k",
                messageID: "id1",
                body: Array("m1".utf8),
                replyCode: 312,
                replyText: "NO_ROUTE"
            )
        )
        tracker.ack(tag: 3, multiple: true)
        #expect(tracker.outcomes == [.confirmed, .returned(replyCode: 312, replyText: "NO_ROUTE"), .confirmed])
    }

    @Test func answersOutsideTheBatchAreIgnored() {
        var tracker = AMQPConfirmTracker(firstTag: 5, messages: messages(2))
        tracker.ack(tag: 4, multiple: true)
        tracker.nack(tag: 9, multiple: false)
        #expect(tracker.outcomes == [.unconfirmed, .unconfirmed])
        tracker.ack(tag: 6, multiple: true)
        #expect(tracker.outcomes == [.confirmed, .confirmed])
        tracker.nack(tag: 6, multiple: true)
        #expect(tracker.outcomes == [.confirmed, .confirmed])
    }
}
