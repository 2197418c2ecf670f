/// A bounded, growing delay between retries: `initial` after the first failure, then × `multiplier`
/// per further failure, never more than `maximum`.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Int

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(5), multiplier: Int = 2) {
        precondition(initial > .zero && maximum >= initial && multiplier >= 1)
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The wait after `failures` failures in a row (1 or more).
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = initial
        for _ in 1..<max(failures, 1) {
            delay *= multiplier
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}

/// The failures in a row of one kind of work: how long to wait before the next try, and which
/// failures and successes change the state, so a loop logs one line per change, not per attempt.
public struct FailureStreak: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        /// The work was healthy and now fails (log it).
        case started
        /// It still fails, for another reason than before (log it).
        case changedReason
        /// It still fails as before (no log line).
        case unchanged
    }

    public let backoff: Backoff
    public private(set) var failures = 0
    /// The reason of the last failure while failing.
    public private(set) var reason: String?

    public init(backoff: Backoff = Backoff()) {
        self.backoff = backoff
    }

    public var isFailing: Bool { failures > 0 }

    /// Records a failure for `reason` (a short stable key, such as an error code); returns the wait
    /// before the next try and whether the state changed.
    public mutating func failed(reason: String) -> (delay: Duration, change: Change) {
        failures += 1
        let change: Change = failures == 1 ? .started : (reason == self.reason ? .unchanged : .changedReason)
        self.reason = reason
        return (backoff.delay(afterFailures: failures), change)
    }

    /// Records a success; returns how many failures it ended (0: it was healthy, nothing to log).
    @discardableResult
    public mutating func succeeded() -> Int {
        defer {
            failures = 0
            reason = nil
        }
        return failures
    }
}
