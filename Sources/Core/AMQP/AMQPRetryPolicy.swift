/// Bounded retry with exponential backoff: attempt 1 runs at once, attempt n + 1 after `delay(after: n)`.
public struct AMQPRetryPolicy: Sendable, Equatable {
    /// Attempts before giving up, counting the first.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var multiplier: Int

    public init(
        maxAttempts: Int = 8,
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(15),
        multiplier: Int = 2
    ) {
        precondition(maxAttempts >= 1 && multiplier >= 1)
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
    }

    /// The wait after failed attempt `attempt` (1-based): initial, initial × multiplier, ... capped at `maxDelay`.
    public func delay(after attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) {
            delay *= multiplier
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}
