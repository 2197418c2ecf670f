import Foundation

/// `buy_order.created`, version 1: published by the write side, applied by read-model-sync.
public struct BuyOrderCreatedEvent: Sendable, Equatable, Decodable {
    public static let type = "buy_order.created"
    public static let routingKey = "buy_order.created"
    public static let version = 1

    public var eventID: UUID
    public var type: String
    public var version: Int
    /// RFC 3339 UTC; the order's own `created_at`.
    public var occurredAt: String
    public var order: StoredBuyOrder

    public init(eventID: UUID = .random(), order: StoredBuyOrder) {
        self.eventID = eventID
        self.type = Self.type
        self.version = Self.version
        self.occurredAt = order.createdAt
        self.order = order
    }

    enum CodingKeys: String, CodingKey {
        case type, version, order
        case eventID = "event_id"
        case occurredAt = "occurred_at"
    }

    public typealias Invalid = InvalidEvent

    /// Decodes and validates a message body: JSON, the right type and version, every field well formed.
    public init(json data: Data) throws(Invalid) {
        let event: BuyOrderCreatedEvent
        do {
            event = try Self.decoder.decode(BuyOrderCreatedEvent.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw Invalid(description: "missing field \(Self.path(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw Invalid(description: "wrong type at \(Self.path(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            throw Invalid(
                description: context.codingPath.isEmpty
                    ? "not JSON" : "bad value at \(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw Invalid(description: "not JSON")
        }
        guard event.type == Self.type else { throw Invalid(description: "unknown type \(event.type)") }
        guard event.version == Self.version else { throw Invalid(description: "unknown version \(event.version)") }
        guard event.order.sequence > 0 else { throw Invalid(description: "bad value at order.sequence") }
        self = event
    }

    /// The message body: keys sorted, every value a string but `version` and `order.sequence`;
    /// `order.quote_id` only for an order made from a quote. Written
    /// directly, not through `JSONEncoder`: the relay renders one per order.
    public var json: String {
        var text = #"{"event_id":"#
        text.reserveCapacity(480)
        JSONText.appendQuoted(eventID.lowercaseText, to: &text)
        text += #","occurred_at":"#
        JSONText.appendQuoted(occurredAt, to: &text)
        text += #","order":{"btc_amount":"#
        JSONText.appendQuoted(order.btcAmount.description, to: &text)
        text += #","btc_rate":"#
        JSONText.appendQuoted(order.btcRate.description, to: &text)
        text += #","client_id":"#
        JSONText.appendQuoted(order.clientID, to: &text)
        text += #","created_at":"#
        JSONText.appendQuoted(order.createdAt, to: &text)
        text += #","currency":"#
        JSONText.appendQuoted(order.currency.code, to: &text)
        text += #","currency_amount":"#
        JSONText.appendQuoted(order.currencyAmount.description, to: &text)
        text += #","id":"#
        JSONText.appendQuoted(order.id.lowercaseText, to: &text)
        if let quoteID = order.quoteID {
            text += #","quote_id":"#
            JSONText.appendQuoted(quoteID.lowercaseText, to: &text)
        }
        text += #","rate_quoted_at":"#
        JSONText.appendQuoted(order.rateQuotedAt, to: &text)
        text += #","rate_source":"#
        JSONText.appendQuoted(order.rateSource, to: &text)
        text += #","sequence":\#(order.sequence)},"type":"#
        JSONText.appendQuoted(type, to: &text)
        text += #","version":\#(version)}"#
        return text
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map(\.stringValue).joined(separator: ".")
    }

    private static let decoder = JSONDecoder()
}
