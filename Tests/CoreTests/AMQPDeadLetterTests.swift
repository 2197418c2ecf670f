import Core
import Testing

/// The dead-letter path of the topology, against the RabbitMQ of `./test.sh`.
@Suite struct AMQPDeadLetterTests {
    enum Refusal: CaseIterable { case reject, nack }

    @Test(arguments: Refusal.allCases)
    func refusedMessageLandsInTheDeadLetterQueue(refusal: Refusal) throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let publisher = try AMQPTest.declared(topology)
        let consumer = try AMQPTest.consumer(of: topology.queue)
        let deadLetters = try AMQPTest.consumer(of: topology.deadLetterQueue)
        try publisher.publish(AMQPTest.message(topology, body: "poison", id: "p1"))

        let delivery = try #require(try consumer.nextDelivery(timeout: .seconds(10)))
        switch refusal {
        case .reject: try consumer.reject(delivery.tag, requeue: false)
        case .nack: try consumer.nack(delivery.tag, requeue: false)
        }

        let dead = try #require(try deadLetters.nextDelivery(timeout: .seconds(10)))
        #expect(dead.text == "poison")
        #expect(dead.messageID == "p1")
        #expect(dead.exchange == topology.deadLetterExchange)
        #expect(try consumer.nextDelivery(timeout: .milliseconds(200)) == nil)
    }

    @Test func messageRequeuedPastTheDeliveryLimitIsDeadLettered() throws {
        let topology = AMQPTest.topology(deliveryLimit: 2)
        defer { AMQPTest.remove(topology) }
        let publisher = try AMQPTest.declared(topology)
        let consumer = try AMQPTest.consumer(of: topology.queue)
        let deadLetters = try AMQPTest.consumer(of: topology.deadLetterQueue)
        try publisher.publish(AMQPTest.message(topology, body: "again", id: "a1"))

        var counts: [Int64?] = []
        while let delivery = try consumer.nextDelivery(timeout: .seconds(2)) {
            counts.append(delivery.deliveryCount)
            try consumer.nack(delivery.tag, requeue: true)
            try #require(counts.count <= 10)
        }

        #expect(counts == [nil, 1, 2])
        let dead = try #require(try deadLetters.nextDelivery(timeout: .seconds(10)))
        #expect(dead.messageID == "a1")
    }

    @Test func deadLetteringWithAReasonKeepsTheMessageAndSaysWhy() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let publisher = try AMQPTest.declared(topology)
        let deadLetters = try AMQPTest.consumer(of: topology.deadLetterQueue)
        try publisher.publish(AMQPTest.message(topology, body: "not json", id: "bad1"))

        let consumer = try AMQPTest.consumer(of: topology.queue)
        let delivery = try #require(try consumer.nextDelivery(timeout: .seconds(10)))
        try publisher.publish(AMQPMessage.deadLetter(delivery, exchange: topology.deadLetterExchange, reason: "body is not JSON"))
        try consumer.ack(delivery.tag)
        consumer.close()

        let dead = try #require(try deadLetters.nextDelivery(timeout: .seconds(10)))
        #expect(dead.text == "not json")
        #expect(dead.messageID == "bad1")
        #expect(dead.persistent)
        #expect(dead.headers[AMQPMessage.deathReasonHeader] == "body is not JSON")
        #expect(dead.routingKey == topology.routingKey)
        #expect(try publisher.messageCount(queue: topology.queue) == 0)
    }
}
