import HTTPTypes

extension HTTPField.Name {
    /// The client's idempotency key for a create request.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Set on an answer that repeats the first answer for an idempotency key.
    public static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}

extension HTTPField.Name {
    /// The IETF draft "RateLimit header fields for HTTP": the policy a client is held to...
    public static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    /// ...and what is left of it now.
    public static let rateLimit = HTTPField.Name("RateLimit")!
}
