import Core
import Testing

@Suite struct AMQPDeliverySettlementTests {
    func settlement(_ tags: ClosedRange<UInt64>) -> AMQPDeliverySettlement {
        var settlement = AMQPDeliverySettlement()
        for tag in tags { settlement.received(tag) }
        return settlement
    }

    @Test func aWholeBatchIsAckedWithOneMultipleFrame() {
        var settlement = settlement(1...5)
        #expect(settlement.settle(1...5, with: .ack) == [.init(.ack, tag: 5, multiple: true)])
        #expect(settlement.unsettled.isEmpty)
    }

    @Test func aMultipleAckNeverCrossesAnUnsettledDelivery() {
        // Delivery 3 waits for its dead letter; 1, 2, 4 and 5 were applied.
        var settlement = settlement(1...5)
        #expect(
            settlement.settle([1, 2, 4, 5], with: .ack) == [
                .init(.ack, tag: 2, multiple: true), .init(.ack, tag: 4, multiple: false),
                .init(.ack, tag: 5, multiple: false),
            ])
        #expect(settlement.unsettled == [3])
        // The next batch while 3 is still open: acked one by one, never with multiple.
        for tag in UInt64(6)...8 { settlement.received(tag) }
        #expect(
            settlement.settle(6...8, with: .ack) == [
                .init(.ack, tag: 6, multiple: false), .init(.ack, tag: 7, multiple: false),
                .init(.ack, tag: 8, multiple: false),
            ])
        // Once 3 is settled, multiple frames are safe again.
        #expect(settlement.settle([3], with: .ack) == [.init(.ack, tag: 3, multiple: false)])
        for tag in UInt64(9)...10 { settlement.received(tag) }
        #expect(settlement.settle(9...10, with: .ack) == [.init(.ack, tag: 10, multiple: true)])
    }

    @Test func heldDeliveriesAtTheFrontKeepEveryLaterAckSingle() {
        var settlement = settlement(1...3)
        #expect(settlement.settle([2, 3], with: .ack) == [.init(.ack, tag: 2, multiple: false), .init(.ack, tag: 3, multiple: false)])
        #expect(settlement.unsettled == [1])
    }

    @Test func settledAndUnknownTagsYieldNoFrame() {
        var settlement = settlement(1...2)
        _ = settlement.settle([1], with: .ack)
        #expect(settlement.settle([1], with: .ack).isEmpty)
        #expect(settlement.settle([99], with: .nack(requeue: true)).isEmpty)
        #expect(settlement.settle([], with: .ack).isEmpty)
        #expect(settlement.unsettled == [2])
    }

    @Test func afterAnErrorEveryUnsettledDeliveryIsNackedBackInOneFrame() {
        var settlement = settlement(1...6)
        _ = settlement.settle([1, 2, 5], with: .ack)
        #expect(settlement.settleAll(with: .nack(requeue: true)) == [.init(.nack(requeue: true), tag: 6, multiple: true)])
        #expect(settlement.unsettled.isEmpty)
        #expect(settlement.settleAll(with: .nack(requeue: true)).isEmpty)
        settlement.received(7)
        #expect(settlement.settleAll(with: .nack(requeue: true)) == [.init(.nack(requeue: true), tag: 7, multiple: false)])
    }
}
