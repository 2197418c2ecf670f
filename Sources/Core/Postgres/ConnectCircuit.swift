/// Decides, without I/O, whether to open a new connection to a database that may be unreachable.
///
/// Closed (the normal state): every connect is attempted. Once one fails, the circuit opens: connects
/// fail at once, so no caller waits for a connect timeout, while one probe at a time, at most one per
/// `probeInterval`, tries the database. Any connect that succeeds closes the circuit. Each change is
/// returned once, so the caller logs one line per outage and one per recovery.
struct ConnectCircuit {
    enum Decision: Equatable {
        case connect
        /// Attempt a connect as the probe; `connected` or `failed` must follow.
        case probe
        /// Do not try: the database has been unreachable since `since`, for `reason`.
        case failFast(reason: String, since: ContinuousClock.Instant)
    }

    enum Change: Equatable {
        case opened(reason: String)
        case closed(downFor: Duration)
    }

    private enum State {
        case closed
        case open(since: ContinuousClock.Instant, reason: String, lastAttempt: ContinuousClock.Instant, probing: Bool)
    }

    let probeInterval: Duration
    private var state = State.closed

    init(probeInterval: Duration) {
        self.probeInterval = probeInterval
    }

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    mutating func decide(at now: ContinuousClock.Instant) -> Decision {
        guard case .open(let since, let reason, let lastAttempt, let probing) = state else { return .connect }
        guard !probing, now - lastAttempt >= probeInterval else { return .failFast(reason: reason, since: since) }
        state = .open(since: since, reason: reason, lastAttempt: now, probing: true)
        return .probe
    }

    mutating func connected(at now: ContinuousClock.Instant) -> Change? {
        guard case .open(let since, _, _, _) = state else { return nil }
        state = .closed
        return .closed(downFor: now - since)
    }

    mutating func failed(_ reason: String, at now: ContinuousClock.Instant) -> Change? {
        switch state {
        case .closed:
            state = .open(since: now, reason: reason, lastAttempt: now, probing: false)
            return .opened(reason: reason)
        case .open(let since, _, _, _):
            state = .open(since: since, reason: reason, lastAttempt: now, probing: false)
            return nil
        }
    }
}
