/// One client's token bucket, without a clock of its own: every call passes the time, in
/// nanoseconds of a monotonic clock, so tests drive it exactly. Tokens are counted in units of
/// 10⁻¹² so that a nanosecond at a rate of n thousandths per second adds exactly n units: no refill
/// is ever rounded.
public struct TokenBucket: Sendable, Equatable {
    /// What `take` decided, with what the RateLimit headers need.
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        /// Whole tokens left after this request.
        public let remaining: Int64
        /// Seconds until the next token (0 when one is there), rounded up: `Retry-After` on a refusal.
        public let secondsUntilNext: Int64
        /// Seconds until the bucket is full again, rounded up.
        public let secondsUntilFull: Int64
    }

    static let unit: Int128 = 1_000_000_000_000

    public private(set) var limit: RateLimit
    private var units: Int128
    private var updatedAt: Int64

    /// A full bucket.
    public init(limit: RateLimit, now: Int64) {
        self.limit = limit
        self.units = Int128(limit.burst) * Self.unit
        self.updatedAt = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: Int64) -> Decision {
        refill(now: now)
        let allowed = units >= Self.unit
        if allowed { units -= Self.unit }
        return Decision(
            allowed: allowed, remaining: Int64(units / Self.unit),
            secondsUntilNext: seconds(toReach: Self.unit), secondsUntilFull: seconds(toReach: capacity))
    }

    /// A new shape takes effect at once; the tokens held are kept, up to the new burst.
    public mutating func reshape(_ limit: RateLimit, now: Int64) {
        guard limit != self.limit else { return }
        refill(now: now)
        self.limit = limit
        units = min(units, capacity)
    }

    private var capacity: Int128 { Int128(limit.burst) * Self.unit }

    private mutating func refill(now: Int64) {
        let elapsed = Int128(max(0, now - updatedAt))
        updatedAt = max(updatedAt, now)
        units = min(capacity, units + elapsed * Int128(limit.milliPerSecond))
    }

    /// Whole seconds, rounded up, until the bucket holds `target` units.
    private func seconds(toReach target: Int128) -> Int64 {
        guard units < target else { return 0 }
        let nanos = (target - units + Int128(limit.milliPerSecond) - 1) / Int128(limit.milliPerSecond)
        return Int64((nanos + 999_999_999) / 1_000_000_000)
    }
}
