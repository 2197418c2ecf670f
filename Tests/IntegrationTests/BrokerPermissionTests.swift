import Core
import Foundation
import Testing
import TestSupport

/// The broker users run.sh makes (scripts/rabbitmq_users.sh) on a RabbitMQ of the test's own: each
/// may do what its service does in the vhost buyorders, the broker refuses it anything else, and
/// guest is gone.
@Suite struct BrokerPermissionTests {
    private static let topology = AMQPTopology()

    private static func connect(_ broker: UserBroker, _ user: String, password: String? = nil, vhost: String = "buyorders")
        throws -> AMQPConnection
    {
        let endpoint = try broker.endpoint(user, password: password, virtualHost: vhost)
        return try AMQPConnection(settings: AMQPSettings(endpoint: endpoint, connectionName: "broker-permission-tests"))
    }

    /// The broker's answer to `body`, run on a fresh connection of `user`: nil when it was allowed.
    private static func refusal(_ broker: UserBroker, _ user: String, _ body: (AMQPConnection) throws -> Void)
        throws -> UInt16?
    {
        let connection = try connect(broker, user)
        defer { connection.close() }
        do {
            try body(connection)
            return nil
        } catch let error as AMQPError where error.code == .channelClosed || error.code == .connectionClosed {
            return error.replyCode
        }
    }

    private static func message(exchange: String, routingKey: String = "buy_order.created", _ body: String)
        -> AMQPMessage
    {
        AMQPMessage(exchange: exchange, routingKey: routingKey, body: Array(body.utf8), messageID: UUID().lowercaseText)
    }

    @Test func eachUserMayDoOnlyWhatItsServiceDoes() async throws {
        try await UserBroker.run { broker in
            let topology = Self.topology
            let accessRefused: UInt16 = 403

            // Nobody comes in as guest, with a wrong password, or into another vhost.
            #expect(throws: AMQPError.self) { try Self.connect(broker, "guest", password: "guest", vhost: "/") }
            #expect(throws: AMQPError.self) { try Self.connect(broker, "create_buy_order", password: "wrong") }
            #expect(throws: AMQPError.self) { try Self.connect(broker, "read_model_sync", vhost: "/") }

            // The relay cannot make the live queue: declaring a queue with a dead-letter exchange takes read
            // on the queue. So run.sh starts create-buy-order once read-model-sync consumes; Kubernetes
            // declares the topology through its operator.
            #expect(try Self.refusal(broker, "create_buy_order") { try $0.declare(topology) } == accessRefused)
            // read-model-sync declares the topology and consumes; then the relay declares it too and publishes.
            let sync = try Self.connect(broker, "read_model_sync")
            defer { sync.close() }
            try sync.declare(topology)
            let relay = try Self.connect(broker, "create_buy_order")
            defer { relay.close() }
            try relay.declare(topology)
            try relay.publish(Self.message(exchange: topology.exchange, #"{"not":"an event"}"#))

            // The relay reads no queue, and writes only to buy_orders.
            for queue in [topology.queue, topology.deadLetterQueue] {
                #expect(try Self.refusal(broker, "create_buy_order") { _ = try $0.get(queue: queue) } == accessRefused)
            }
            #expect(
                try Self.refusal(broker, "create_buy_order") {
                    try $0.publish(Self.message(exchange: topology.deadLetterExchange, "{}"))
                } == accessRefused)
            #expect(
                try Self.refusal(broker, "create_buy_order") {
                    try $0.publish(Self.message(exchange: "", routingKey: topology.queue, "{}"))
                } == accessRefused)

            // read-model-sync takes it, parks it through the dead-letter exchange, lists the dead-letter
            // queue and redrives through the default exchange.
            let delivery = try #require(try sync.get(queue: topology.queue))
            try sync.publish(AMQPMessage.deadLetter(delivery, exchange: topology.deadLetterExchange, reason: "test"))
            try sync.ack(delivery.tag)
            let parked = try #require(try sync.get(queue: topology.deadLetterQueue))
            try sync.publish(Self.message(exchange: "", routingKey: topology.queue, String(decoding: parked.body, as: UTF8.self)))
            try sync.ack(parked.tag)
            #expect(try sync.get(queue: topology.queue) != nil)

            // It never publishes an event.
            #expect(
                try Self.refusal(broker, "read_model_sync") {
                    try $0.publish(Self.message(exchange: topology.exchange, "{}"))
                } == accessRefused)
            // Neither may declare anything outside the topology.
            for user in ["create_buy_order", "read_model_sync"] {
                #expect(try Self.refusal(broker, user) { try $0.declareQueue("elsewhere") } == accessRefused)
            }
        }
    }
}
