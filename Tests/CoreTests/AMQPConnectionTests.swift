import Core
import Foundation
import Testing

/// AMQPConnection against the RabbitMQ of `./test.sh`.
@Suite struct AMQPConnectionTests {
    @Test func declaringTheTopologyTwiceSucceeds() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let first = try AMQPTest.declared(topology)
        try first.declare(topology)
        let second = try AMQPTest.declared(topology)
        #expect(try second.messageCount(queue: topology.queue) == 0)
        #expect(try second.messageCount(queue: topology.deadLetterQueue) == 0)
        #expect(first.isOpen && second.isOpen)
    }

    @Test func redeclaringWithOtherArgumentsClosesTheChannel() throws {
        let topology = AMQPTest.topology(deliveryLimit: 5)
        defer { AMQPTest.remove(topology) }
        _ = try AMQPTest.declared(topology)
        var changed = topology
        changed.deliveryLimit = 7
        let connection = try AMQPTest.connect()
        let error = #expect(throws: AMQPError.self) { try connection.declare(changed) }
        #expect(error?.code == .channelClosed)
        #expect(error?.replyCode == 406)
        #expect(!connection.isOpen)
        #expect(connection.failure?.code == .channelClosed)
    }

    @Test func confirmedMessageArrivesWithItsBodyIDAndPersistence() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let publisher = try AMQPTest.declared(topology)
        let consumer = try AMQPTest.consumer(of: topology.queue)
        var message = AMQPTest.message(topology, body: #"{"event_id":"e1"}"#, id: "e1")
        message.headers = ["x-event-type": "buy_order.created"]
        try publisher.publish(message)

        let delivery = try #require(try consumer.nextDelivery(timeout: .seconds(10)))
        #expect(delivery.text == #"{"event_id":"e1"}"#)
        #expect(delivery.messageID == "e1")
        #expect(delivery.persistent)
        #expect(delivery.contentType == "application/json")
        #expect(delivery.headers["x-event-type"] == "buy_order.created")
        #expect(delivery.exchange == topology.exchange)
        #expect(delivery.routingKey == topology.routingKey)
        #expect(!delivery.redelivered)
        #expect(delivery.deliveryCount == nil)
        try consumer.ack(delivery.tag)
    }

    @Test func unroutableMessageIsReturnedAndTheConnectionStaysUsable() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let connection = try AMQPTest.declared(topology)
        var stray = AMQPTest.message(topology, body: "{}")
        stray.routingKey = "nobody.listens"
        let error = #expect(throws: AMQPError.self) { try connection.publish(stray) }
        #expect(error?.code == .unroutable)
        #expect(error?.replyCode == 312)
        #expect(connection.isOpen)
        try connection.publish(AMQPTest.message(topology, body: "{}"))
    }

    @Test func batchOutcomesTellConfirmedFromReturned() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let connection = try AMQPTest.declared(topology)
        var stray = AMQPTest.message(topology, body: "stray")
        stray.routingKey = "nobody.listens"
        let outcomes = try connection.publishBatch([
            AMQPTest.message(topology, body: "a"), stray, AMQPTest.message(topology, body: "b"),
        ])
        #expect(outcomes == [.confirmed, .returned(replyCode: 312, replyText: "NO_ROUTE"), .confirmed])
        #expect(try connection.messageCount(queue: topology.queue) == 2)
    }

    @Test func refusedConnectionIsATypedError() throws {
        let settings = try AMQPTest.settings(url: AMQPTest.unusedURL())
        let error = #expect(throws: AMQPError.self) { try AMQPConnection(settings: settings) }
        #expect(error?.code == .connectionFailed)
    }

    @Test func wrongPasswordIsAnAuthenticationError() throws {
        var settings = try AMQPTest.settings()
        settings.endpoint.password = "wrong"
        let error = #expect(throws: AMQPError.self) { try AMQPConnection(settings: settings) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.replyCode == 403)
    }

    @Test func missingQueueClosesTheChannelWith404() throws {
        let connection = try AMQPTest.connect()
        let error = #expect(throws: AMQPError.self) { try connection.messageCount(queue: "test.missing.\(UUID())") }
        #expect(error?.code == .channelClosed)
        #expect(error?.replyCode == 404)
        #expect(throws: AMQPError.self) { try connection.publish(AMQPMessage(exchange: "", routingKey: "q", body: [])) }
    }

    @Test func ackOfAnEarlierConnectionsDeliveryIsRefused() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let first = try AMQPTest.declared(topology)
        try first.publish(AMQPTest.message(topology, body: "once"))
        let delivery = try #require(try first.get(queue: topology.queue))
        let second = try AMQPTest.connect()
        let error = #expect(throws: AMQPError.self) { try second.ack(delivery.tag) }
        #expect(error?.code == .staleDelivery)
        #expect(second.isOpen)
        try first.ack(delivery.tag)
    }

    @Test func heartbeatsFlowWhileWaitingForDeliveries() throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let connection = try AMQPTest.connect(heartbeat: .seconds(1))
        #expect(connection.heartbeat == .seconds(1))
        try connection.declare(topology)
        try connection.consume(queue: topology.queue, prefetch: 10)
        #expect(try connection.nextDelivery(timeout: .seconds(4)) == nil)
        try connection.publish(AMQPTest.message(topology, body: "still here"))
        #expect(try connection.nextDelivery(timeout: .seconds(10))?.text == "still here")
    }
}
