import CRabbitMQ
import Foundation

/// What the broker sends without being asked.
enum AMQPIncoming {
    case delivery(AMQPDelivery)
    case ack(tag: UInt64, multiple: Bool)
    case nack(tag: UInt64, multiple: Bool)
    case returned(AMQPConfirmTracker.Returned)
}

/// The properties and body of one message, copied out of rabbitmq-c's buffers.
struct AMQPContent {
    var body: [UInt8]
    var messageID: String?
    var contentType: String?
    var persistent: Bool
    var headers: [String: AMQPFieldValue]
}

extension AMQPConnection {
    /// Reads the next event, waiting until `deadline`; nil when none came. While it waits,
    /// rabbitmq-c sends heartbeats when due and fails with a heartbeat timeout when the broker is silent.
    /// A channel.close, connection.close or consumer cancel from the broker is thrown as an `AMQPError`.
    func nextEvent(until deadline: ContinuousClock.Instant) throws -> AMQPIncoming? {
        try ensureOpen()
        while true {
            amqp_maybe_release_buffers(state)
            var frame = amqp_frame_t()
            // Never a zero wait: rabbitmq-c treats it as "poll once" and then never notices that the
            // broker's heartbeats stopped; any wait past that deadline reports the dead connection.
            var wait = timeval(max(deadline - .now, .microseconds(1)))
            let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
            try check(status: status, "waiting for the broker")
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD), let decoded = frame.payload.method.decoded else {
                throw fail(AMQPError(.protocolError, message: "content frame outside a message"))
            }
            let method = frame.payload.method
            switch method.id {
            case AMQP_BASIC_DELIVER_METHOD:
                let deliver = decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
                let tag = AMQPDeliveryTag(value: deliver.delivery_tag, connectionID: id)
                let exchange = String(deliver.exchange)
                let routingKey = String(deliver.routing_key)
                let content = try readContent()
                return .delivery(
                    AMQPDelivery(
                        tag: tag,
                        redelivered: deliver.redelivered != 0,
                        exchange: exchange,
                        routingKey: routingKey,
                        content: content
                    )
                )
            case AMQP_BASIC_ACK_METHOD:
                let ack = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                return .ack(tag: ack.delivery_tag, multiple: ack.multiple != 0)
            case AMQP_BASIC_NACK_METHOD:
                let nack = decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                return .nack(tag: nack.delivery_tag, multiple: nack.multiple != 0)
            case AMQP_BASIC_RETURN_METHOD:
                let returned = decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                let replyCode = returned.reply_code
                let replyText = String(returned.reply_text)
                let exchange = String(returned.exchange)
                let routingKey = String(returned.routing_key)
                let content = try readContent()
                return .returned(
                    AMQPConfirmTracker.Returned(
                        exchange: exchange,
                        routingKey: routingKey,
                        messageID: content.messageID,
                        body: content.body,
                        replyCode: replyCode,
                        replyText: replyText
                    )
                )
            case AMQP_BASIC_CANCEL_METHOD:
                let cancel = decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
                throw fail(
                    AMQPError(
                        .consumerCancelled,
                        message: "the broker cancelled consumer \(String(cancel.consumer_tag))"
                    )
                )
            case AMQP_CHANNEL_CLOSE_METHOD, AMQP_CONNECTION_CLOSE_METHOD:
                throw fail(Self.closedByBroker(method, state, "closed by the broker"))
            case AMQP_CONNECTION_BLOCKED_METHOD:
                isBlocked = true
            case AMQP_CONNECTION_UNBLOCKED_METHOD:
                isBlocked = false
            default:
                continue
            }
        }
    }

    /// Reads the header and body frames that follow a basic.deliver, basic.return or basic.get-ok.
    func readContent() throws -> AMQPContent {
        var message = amqp_message_t()
        try check(amqp_read_message(state, Self.channel, &message, 0), "reading a message")
        defer { amqp_destroy_message(&message) }
        let properties = message.properties
        let flags = properties._flags
        func has(_ flag: Int32) -> Bool { flags & amqp_flags_t(flag) != 0 }
        return AMQPContent(
            body: [UInt8](message.body),
            messageID: has(AMQP_BASIC_MESSAGE_ID_FLAG) ? String(properties.message_id) : nil,
            contentType: has(AMQP_BASIC_CONTENT_TYPE_FLAG) ? String(properties.content_type) : nil,
            persistent: has(AMQP_BASIC_DELIVERY_MODE_FLAG) && properties.delivery_mode == 2,
            headers: has(AMQP_BASIC_HEADERS_FLAG) ? AMQPFieldTable.decode(properties.headers) : [:]
        )
    }

    /// Sends due heartbeats and takes in whatever the broker sent, without waiting. Deliveries are kept
    /// for `nextDelivery`; a broker close, a dead socket or missed broker heartbeats close the connection.
    public func processIncoming() throws {
        while let event = try nextEvent(until: .now) {
            if case .delivery(let delivery) = event {
                pendingDeliveries.append(delivery)
            }
        }
    }
}

extension AMQPDelivery {
    init(tag: AMQPDeliveryTag, redelivered: Bool, exchange: String, routingKey: String, content: AMQPContent) {
        self.init(
            tag: tag,
            redelivered: redelivered,
            exchange: exchange,
            routingKey: routingKey,
            body: content.body,
            messageID: content.messageID,
            contentType: content.contentType,
            persistent: content.persistent,
            headers: content.headers
        )
    }
}
