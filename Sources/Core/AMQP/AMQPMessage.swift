import Foundation

/// A value in an AMQP field table (message headers, queue arguments). Floating-point and decimal
/// fields of incoming tables are left out: nothing here needs them.
public indirect enum AMQPFieldValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case bytes([UInt8])
    /// Seconds since the epoch.
    case timestamp(UInt64)
    case array([AMQPFieldValue])
    case table([String: AMQPFieldValue])
    case void
}

extension AMQPFieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
}

/// A message to publish. Defaults: persistent JSON, mandatory (an unroutable message is returned, not dropped).
public struct AMQPMessage: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var messageID: String?
    public var contentType: String?
    public var persistent: Bool
    public var headers: [String: AMQPFieldValue]
    public var mandatory: Bool

    public init(
        exchange: String,
        routingKey: String,
        body: [UInt8],
        messageID: String? = nil,
        contentType: String? = "application/json",
        persistent: Bool = true,
        headers: [String: AMQPFieldValue] = [:],
        mandatory: Bool = true
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.messageID = messageID
        self.contentType = contentType
        self.persistent = persistent
        self.headers = headers
        self.mandatory = mandatory
    }

    /// The header that carries why a message was dead-lettered by its consumer.
    public static let deathReasonHeader = "x-death-reason"
    /// The header that carries when its consumer dead-lettered it (seconds since the epoch, an AMQP timestamp).
    public static let deathTimeHeader = "x-death-time"

    /// A copy of `delivery` for the dead-letter exchange, with the reason it could not be applied.
    public static func deadLetter(_ delivery: AMQPDelivery, exchange: String, reason: String) -> AMQPMessage {
        var headers = delivery.headers
        headers[deathReasonHeader] = .string(reason)
        headers[deathTimeHeader] = .timestamp(UInt64(time(nil)))
        headers["x-original-exchange"] = .string(delivery.exchange)
        return AMQPMessage(
            exchange: exchange,
            routingKey: delivery.routingKey,
            body: delivery.body,
            messageID: delivery.messageID,
            contentType: delivery.contentType,
            persistent: true,
            headers: headers
        )
    }
}

/// Identifies a delivery on the connection that received it; acking it on another connection is refused.
public struct AMQPDeliveryTag: Sendable, Hashable {
    public let value: UInt64
    public let connectionID: UInt64
}

/// A message received from a queue.
public struct AMQPDelivery: Sendable, Equatable {
    public var tag: AMQPDeliveryTag
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var messageID: String?
    public var contentType: String?
    public var persistent: Bool
    public var headers: [String: AMQPFieldValue]

    /// How often a quorum queue delivered this message before (`x-delivery-count`); nil on the first delivery.
    public var deliveryCount: Int64? {
        if case .integer(let count)? = headers["x-delivery-count"] { return count }
        return nil
    }
}

/// What the broker said about one published message.
public enum AMQPPublishOutcome: Sendable, Equatable {
    /// basic.ack: the broker took responsibility (persisted to every queue it was routed to).
    case confirmed
    /// basic.nack: the broker could not take it; publish it again later.
    case nacked
    /// basic.return: no queue is bound for it; the broker dropped it.
    case returned(replyCode: UInt16, replyText: String)
    /// No answer before the deadline.
    case unconfirmed
}
