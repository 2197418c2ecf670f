@testable import Core
import Foundation
import Testing

@testable import ReadModelSync

/// What `dead-letters list` reads from a parked message, and what a redriven copy carries.
@Suite struct DeadLetterTests {
    static func delivery(headers: [String: AMQPFieldValue], body: String = "{}") -> AMQPDelivery {
        AMQPDelivery(
            tag: AMQPDeliveryTag(value: 1, connectionID: 1), redelivered: false, exchange: "buy_orders.dead_letter",
            routingKey: "buy_order.created", body: Array(body.utf8), messageID: "m-1", contentType: "application/json",
            persistent: true, headers: headers)
    }

    @Test func readsTheConsumersReasonAndTime() {
        let letter = DeadLetter(Self.delivery(headers: ["x-death-reason": "amount: must be positive", "x-death-time": .timestamp(1_800_000_000)]))
        #expect(letter.messageID == "m-1")
        #expect(letter.reason == "amount: must be positive")
        #expect(letter.line == "m-1  2027-01-15T08:00:00Z  amount: must be positive")
        #expect(letter.orderID == nil)
    }

    @Test func readsTheBrokersLatestDeath() {
        let deaths: AMQPFieldValue = .array([
            .table(["reason": "delivery_limit", "queue": "read_model_sync", "time": .timestamp(1_800_000_060), "count": 1]),
            .table(["reason": "rejected", "queue": "read_model_sync", "time": .timestamp(1_800_000_000), "count": 1]),
        ])
        let letter = DeadLetter(Self.delivery(headers: ["x-death": deaths]))
        #expect(letter.reason == "delivery_limit (by the broker, from read_model_sync)")
        #expect(letter.timeText == "2027-01-15T08:01:00Z")
    }

    @Test func saysWhenAMessageGivesNoReason() {
        let letter = DeadLetter(Self.delivery(headers: [:]))
        #expect(letter.line == "m-1  -  no reason given")
    }

    @Test func aRedrivenCopyGoesToTheLiveQueueAloneAndIsJudgedAfresh() {
        let parked = Self.delivery(
            headers: [
                "x-death-reason": "bad", "x-death-time": .timestamp(1), "x-delivery-count": 5, "x-original-exchange": "buy_orders",
                "x-death": .array([.table(["reason": "rejected"])]),
            ], body: #"{"a":1}"#)
        let copy = DeadLetter.redriven(parked, to: "read_model_sync")
        #expect(copy.exchange == "" && copy.routingKey == "read_model_sync" && copy.mandatory && copy.persistent)
        #expect(copy.body == parked.body && copy.messageID == "m-1" && copy.contentType == "application/json")
        #expect(copy.headers.keys.sorted() == ["x-death", "x-original-exchange"])
    }

    @Test func theConsumersDeadLetterCarriesItsTime() {
        let before = UInt64(Date().timeIntervalSince1970)
        let message = AMQPMessage.deadLetter(Self.delivery(headers: [:]), exchange: "dlx", reason: "bad")
        guard case .timestamp(let time)? = message.headers[AMQPMessage.deathTimeHeader] else {
            Issue.record("no \(AMQPMessage.deathTimeHeader) header in \(message.headers)")
            return
        }
        #expect(time >= before && time <= before + 60)
    }
}
