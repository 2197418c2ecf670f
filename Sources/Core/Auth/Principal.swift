/// Who a request acts for, once its key (or `ANONYMOUS_CLIENT`) was accepted.
public struct Principal: Sendable, Equatable {
    public let clientID: String
    /// The key's id for log lines; nil for `ANONYMOUS_CLIENT`.
    public let keyID: String?
    public let scopes: Set<APIScope>
    /// The client's own rate limit; nil takes the service's default.
    public let rateLimit: RateLimit?

    public init(clientID: String, keyID: String?, scopes: Set<APIScope>, rateLimit: RateLimit?) {
        self.clientID = clientID
        self.keyID = keyID
        self.scopes = scopes
        self.rateLimit = rateLimit
    }
}

/// A key as the database holds it, joined with its client's rate limit.
public struct APIKeyRecord: Sendable, Equatable {
    public let keyID: String
    public let clientID: String
    public let secretHash: APIKeySecretHash
    public let scopes: Set<APIScope>
    public let isRevoked: Bool
    public let rateLimit: RateLimit?

    public init(
        keyID: String, clientID: String, secretHash: APIKeySecretHash, scopes: Set<APIScope>, isRevoked: Bool,
        rateLimit: RateLimit?
    ) {
        self.keyID = keyID
        self.clientID = clientID
        self.secretHash = secretHash
        self.scopes = scopes
        self.isRevoked = isRevoked
        self.rateLimit = rateLimit
    }
}
