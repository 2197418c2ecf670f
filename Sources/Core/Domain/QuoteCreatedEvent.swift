import Foundation

/// `quote.created`, version 1: a client was given a rate it may buy at, once, until `expires_at`.
/// Published by create-buy-order through the outbox, in the quote's transaction.
public struct QuoteCreatedEvent: Sendable, Equatable, Codable {
    public static let type = "quote.created"
    public static let version = 1

    /// What the client was given: `POST /v1/quotes` answers with the same values.
    public struct Quote: Sendable, Equatable, Codable {
        public var id: UUID
        public var currency: Currency
        public var rate: ExchangeRate
        public var source: String
        /// RFC 3339 UTC with microseconds.
        public var quotedAt: String
        public var expiresAt: String

        public init(id: UUID, currency: Currency, rate: ExchangeRate, source: String, quotedAt: String, expiresAt: String) {
            self.id = id
            self.currency = currency
            self.rate = rate
            self.source = source
            self.quotedAt = quotedAt
            self.expiresAt = expiresAt
        }

        enum CodingKeys: String, CodingKey {
            case id, currency, rate, source
            case quotedAt = "quoted_at"
            case expiresAt = "expires_at"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let id = try container.decode(String.self, forKey: .id)
            guard let uuid = UUID(text: id) else {
                throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "not a UUID")
            }
            self.init(
                id: uuid, currency: try container.decode(Currency.self, forKey: .currency),
                rate: try container.decode(ExchangeRate.self, forKey: .rate),
                source: try container.decode(String.self, forKey: .source),
                quotedAt: try container.decode(String.self, forKey: .quotedAt),
                expiresAt: try container.decode(String.self, forKey: .expiresAt))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id.lowercaseText, forKey: .id)
            try container.encode(currency, forKey: .currency)
            try container.encode(rate, forKey: .rate)
            try container.encode(source, forKey: .source)
            try container.encode(quotedAt, forKey: .quotedAt)
            try container.encode(expiresAt, forKey: .expiresAt)
        }

        /// The body of `POST /v1/quotes`:
        /// `{"quote_id":…,"currency":…,"rate":…,"source":…,"quoted_at":…,"expires_at":…}`.
        public var responseJSON: String {
            var text = #"{"quote_id":"#
            JSONText.appendQuoted(id.lowercaseText, to: &text)
            text += #","currency":"#
            JSONText.appendQuoted(currency.code, to: &text)
            text += #","rate":"#
            JSONText.appendQuoted(rate.description, to: &text)
            text += #","source":"#
            JSONText.appendQuoted(source, to: &text)
            text += #","quoted_at":"#
            JSONText.appendQuoted(quotedAt, to: &text)
            text += #","expires_at":"#
            JSONText.appendQuoted(expiresAt, to: &text)
            text += "}"
            return text
        }
    }

    public var eventID: UUID
    public var type: String
    public var version: Int
    /// The quote's `quoted_at`.
    public var occurredAt: String
    public var clientID: String
    public var quote: Quote

    public init(eventID: UUID = .random(), clientID: String, quote: Quote) {
        self.eventID = eventID
        self.type = Self.type
        self.version = Self.version
        self.occurredAt = quote.quotedAt
        self.clientID = clientID
        self.quote = quote
    }

    enum CodingKeys: String, CodingKey {
        case type, version, quote
        case eventID = "event_id"
        case occurredAt = "occurred_at"
        case clientID = "client_id"
    }

    /// Ids in lower case, as in every other event and answer (a `UUID` encodes in upper case).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID.lowercaseText, forKey: .eventID)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(occurredAt, forKey: .occurredAt)
        try container.encode(clientID, forKey: .clientID)
        try container.encode(quote, forKey: .quote)
    }

    /// The routing key is the type.
    public var routingKey: String { Self.type }

    /// The message body: JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers and values that encode as strings: encoding cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Decodes and validates a message body: JSON of this type and version, every field well formed.
    public init(json data: Data) throws(InvalidEvent) {
        let event: QuoteCreatedEvent
        do {
            event = try JSONDecoder().decode(QuoteCreatedEvent.self, from: data)
        } catch {
            throw InvalidEvent(description: "not a valid quote event: \(error)")
        }
        guard event.type == Self.type else { throw InvalidEvent(description: "unknown type \(event.type)") }
        guard event.version == Self.version else { throw InvalidEvent(description: "unknown version \(event.version)") }
        self = event
    }
}
