import Foundation

/// The events of clients, keys and the BTC limit (DESIGN.md, Events; the activity feed shows them).
/// Each carries the whole state of what changed, so the read model can apply them in any order:
/// a client by its `version`, a key's revocation once set stays set.
public struct AccessEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case clientCreated = "client.created"
        case clientRateLimitChanged = "client.rate_limit_changed"
        case apiKeyCreated = "api_key.created"
        case apiKeyRevoked = "api_key.revoked"
        case limitChanged = "limit.changed"
    }

    /// A client after the change.
    public struct Client: Sendable, Equatable, Codable {
        public var id: String
        public var createdAt: String
        /// Tokens per second as exact decimal text, or nil for the service's default.
        public var rateLimitPerS: String?
        public var rateLimitBurst: Int64?
        public var version: Int64

        public init(id: String, createdAt: String, rateLimitPerS: String?, rateLimitBurst: Int64?, version: Int64) {
            self.id = id
            self.createdAt = createdAt
            self.rateLimitPerS = rateLimitPerS
            self.rateLimitBurst = rateLimitBurst
            self.version = version
        }

        enum CodingKeys: String, CodingKey {
            case id, version
            case createdAt = "created_at"
            case rateLimitPerS = "rate_limit_per_s"
            case rateLimitBurst = "rate_limit_burst"
        }
    }

    /// A key after the change: never its secret, only the secret's SHA-256, which the read model
    /// needs to check keys for fetch-buy-orders.
    public struct Key: Sendable, Equatable, Codable {
        public var keyID: String
        public var clientID: String
        public var scopes: [String]
        public var label: String
        public var createdAt: String
        public var revokedAt: String?
        public var secretSHA256: String

        public init(
            keyID: String, clientID: String, scopes: [String], label: String, createdAt: String, revokedAt: String?,
            secretSHA256: String
        ) {
            self.keyID = keyID
            self.clientID = clientID
            self.scopes = scopes
            self.label = label
            self.createdAt = createdAt
            self.revokedAt = revokedAt
            self.secretSHA256 = secretSHA256
        }

        enum CodingKeys: String, CodingKey {
            case scopes, label
            case keyID = "key_id"
            case clientID = "client_id"
            case createdAt = "created_at"
            case revokedAt = "revoked_at"
            case secretSHA256 = "secret_sha256"
        }
    }

    /// The BTC limit, as exact decimal text.
    public struct Limit: Sendable, Equatable, Codable {
        public var limitBTC: String
        public var previousLimitBTC: String
        public var totalBTC: String

        public init(limitBTC: String, previousLimitBTC: String, totalBTC: String) {
            self.limitBTC = limitBTC
            self.previousLimitBTC = previousLimitBTC
            self.totalBTC = totalBTC
        }

        enum CodingKeys: String, CodingKey {
            case limitBTC = "limit_btc"
            case previousLimitBTC = "previous_limit_btc"
            case totalBTC = "total_btc"
        }
    }

    public static let version = 1

    public var eventID: UUID
    public var type: Kind
    public var version: Int
    public var occurredAt: String
    /// The client the event belongs to; nil for the operator's `limit.changed`.
    public var clientID: String?
    public var client: Client?
    public var apiKey: Key?
    public var limit: Limit?

    public init(
        eventID: UUID = .random(), type: Kind, occurredAt: String, clientID: String?, client: Client? = nil,
        apiKey: Key? = nil, limit: Limit? = nil
    ) {
        self.eventID = eventID
        self.type = type
        self.version = Self.version
        self.occurredAt = occurredAt
        self.clientID = clientID
        self.client = client
        self.apiKey = apiKey
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case type, version, client, limit
        case eventID = "event_id"
        case occurredAt = "occurred_at"
        case clientID = "client_id"
        case apiKey = "api_key"
    }

    /// Ids in lower case, as in every other event and answer (a `UUID` encodes in upper case).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID.lowercaseText, forKey: .eventID)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(occurredAt, forKey: .occurredAt)
        try container.encodeIfPresent(clientID, forKey: .clientID)
        try container.encodeIfPresent(client, forKey: .client)
        try container.encodeIfPresent(apiKey, forKey: .apiKey)
        try container.encodeIfPresent(limit, forKey: .limit)
    }

    /// The routing key is the type.
    public var routingKey: String { type.rawValue }

    /// The message body: JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Decodes and validates a message body: the right version, and the part its type needs.
    public init(json data: Data) throws(InvalidEvent) {
        let event: AccessEvent
        do {
            event = try JSONDecoder().decode(AccessEvent.self, from: data)
        } catch {
            throw InvalidEvent(description: "not a valid access event: \(error)")
        }
        guard event.version == Self.version else {
            throw InvalidEvent(description: "unknown version \(event.version)")
        }
        let complete =
            switch event.type {
            case .clientCreated, .clientRateLimitChanged: event.client != nil && event.client?.id == event.clientID
            case .apiKeyCreated, .apiKeyRevoked: event.apiKey != nil && event.apiKey?.clientID == event.clientID
            case .limitChanged: event.limit != nil
            }
        guard complete else {
            throw InvalidEvent(description: "\(event.type.rawValue) without its \(event.type.part)")
        }
        self = event
    }
}

extension AccessEvent.Kind {
    /// The field holding what changed.
    var part: String {
        switch self {
        case .clientCreated, .clientRateLimitChanged: "client"
        case .apiKeyCreated, .apiKeyRevoked: "api_key"
        case .limitChanged: "limit"
        }
    }
}
