import Synchronization

/// The token buckets of every client of this instance. Each instance counts on its own, so N
/// instances behind a load balancer allow a client N times its rate (README, Rate limits).
public final class RateLimiter: Sendable {
    public let defaultLimit: RateLimit
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock: @Sendable () -> Int64

    public init(defaultLimit: RateLimit, clock: @escaping @Sendable () -> Int64 = RateLimiter.monotonicNanoseconds) {
        self.defaultLimit = defaultLimit
        self.clock = clock
    }

    /// Takes one token from `client`'s bucket, shaped by its own limit or the default.
    public func take(client: String, limit: RateLimit?) -> (limit: RateLimit, decision: TokenBucket.Decision) {
        let shape = limit ?? defaultLimit
        let now = clock()
        return buckets.withLock { buckets in
            var bucket = buckets[client] ?? TokenBucket(limit: shape, now: now)
            bucket.reshape(shape, now: now)
            let decision = bucket.take(now: now)
            buckets[client] = bucket
            return (shape, decision)
        }
    }

    /// Nanoseconds on the monotonic clock since the first call in this process.
    public static func monotonicNanoseconds() -> Int64 {
        let (seconds, attoseconds) = (ContinuousClock.now - origin).components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private static let origin = ContinuousClock.now
}
