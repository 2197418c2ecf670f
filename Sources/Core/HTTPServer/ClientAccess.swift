/// What a service checks every business request against: keys (or `ANONYMOUS_CLIENT`) and rate limits.
public struct ClientAccess: Sendable {
    public let authenticator: Authenticator
    public let limiter: RateLimiter

    public init(authenticator: Authenticator, limiter: RateLimiter) {
        self.authenticator = authenticator
        self.limiter = limiter
    }
}
