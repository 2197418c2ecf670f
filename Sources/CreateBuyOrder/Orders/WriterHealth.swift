import Core

/// What `/ready` says about the order writer, decided without I/O from when its current batch started
/// and how its last batch ended: a batch running past `stuckAfter` (waiting for a lock, a stalled
/// database), or a last batch that failed within `failureShownFor` with no success since.
struct WriterHealth {
    let stuckAfter: Duration
    let failureShownFor: Duration
    private var batchStartedAt: ContinuousClock.Instant?
    private var lastFailure: (at: ContinuousClock.Instant, reason: String)?

    init(stuckAfter: Duration, failureShownFor: Duration) {
        self.stuckAfter = stuckAfter
        self.failureShownFor = failureShownFor
    }

    mutating func started(at now: ContinuousClock.Instant) {
        batchStartedAt = now
    }

    mutating func succeeded() {
        batchStartedAt = nil
        lastFailure = nil
    }

    mutating func failed(_ reason: String, at now: ContinuousClock.Instant) {
        batchStartedAt = nil
        lastFailure = (now, reason)
    }

    /// Why the writer is not healthy at `now`, or nil.
    func problem(at now: ContinuousClock.Instant) -> String? {
        if let batchStartedAt, now - batchStartedAt > stuckAfter {
            return "a batch has been running for \(Self.seconds(now - batchStartedAt)) s (is btc_total locked, or the database stalled?)"
        }
        if let lastFailure, now - lastFailure.at < failureShownFor {
            return "the last batch failed \(Self.seconds(now - lastFailure.at)) s ago: \(lastFailure.reason)"
        }
        return nil
    }

    private static func seconds(_ duration: Duration) -> String {
        let tenths = Int(duration / .milliseconds(100))
        return "\(tenths / 10).\(tenths % 10)"
    }
}
