/// Who may call the business routes: `ANONYMOUS_CLIENT` (unset: every request needs a key) and the
/// default rate limit of a client, `RATE_LIMIT_PER_S` and `RATE_LIMIT_BURST` (per client, per instance).
public struct AccessSettings: Sendable {
    public var anonymousClient: String?
    public var defaultRateLimit: RateLimit
    /// How long a looked-up key is trusted: revocations reach this instance within it (plus projection
    /// lag for fetch-buy-orders).
    public var keyCacheTTL: Duration

    public static let defaultRateLimit = RateLimit(milliPerSecond: 200_000, burst: 400)!

    public init(
        anonymousClient: String? = nil, defaultRateLimit: RateLimit = AccessSettings.defaultRateLimit,
        keyCacheTTL: Duration = .seconds(2)
    ) {
        self.anonymousClient = anonymousClient
        self.defaultRateLimit = defaultRateLimit
        self.keyCacheTTL = keyCacheTTL
    }

    public init(environment: EnvironmentReader) throws {
        if let client = environment.raw("ANONYMOUS_CLIENT") {
            guard client.utf8.count <= 64,
                client.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2d })
            else {
                throw ConfigurationError(
                    variable: "ANONYMOUS_CLIENT", expected: "a client id (1 to 64 of a-z, 0-9, _ and -)", actual: client)
            }
            self.anonymousClient = client
        }
        let perSecond = environment.raw("RATE_LIMIT_PER_S")
        let milli = try perSecond.map { text in
            guard let milli = RateLimit.parsePerSecond(text), milli <= 1_000_000_000_000 else {
                throw ConfigurationError(
                    variable: "RATE_LIMIT_PER_S", expected: "a positive number of requests per second, at most 3 decimals",
                    actual: text)
            }
            return milli
        } ?? Self.defaultRateLimit.milliPerSecond
        let burst = try environment.integer("RATE_LIMIT_BURST", default: Int(Self.defaultRateLimit.burst), in: 1...1_000_000_000)
        self.defaultRateLimit = RateLimit(milliPerSecond: milli, burst: Int64(burst))!
        self.keyCacheTTL = .seconds(2)
    }
}

extension ClientAccess {
    /// Keys checked against `database` (the write model, or the read model it is projected into).
    public init(_ settings: AccessSettings, database: PostgresClient) {
        self.init(
            authenticator: Authenticator(
                store: AccessStore(database: database), anonymousClient: settings.anonymousClient,
                ttl: settings.keyCacheTTL),
            limiter: RateLimiter(defaultLimit: settings.defaultRateLimit))
    }
}
