/// Whether a currency's source is working, so that a failure is logged when it starts, changes kind, or ends,
/// not at every poll.
struct SourceHealth: Equatable {
    enum State: Equatable {
        case starting
        case ok
        /// `polls` counts every failed poll since the last good one, whatever its kind.
        case failing(kind: String, polls: Int)
    }

    /// A change worth one log line.
    enum Change: Equatable {
        case firstQuote
        case failing(kind: String)
        case recovered(failedPolls: Int)
    }

    private(set) var state = State.starting

    mutating func succeeded() -> Change? {
        defer { state = .ok }
        switch state {
        case .starting: return .firstQuote
        case .ok: return nil
        case .failing(_, let polls): return .recovered(failedPolls: polls)
        }
    }

    mutating func failed(kind: String) -> Change? {
        switch state {
        case .failing(kind, let polls):
            state = .failing(kind: kind, polls: polls + 1)
            return nil
        case .failing(_, let polls):
            state = .failing(kind: kind, polls: polls + 1)
            return .failing(kind: kind)
        case .starting, .ok:
            state = .failing(kind: kind, polls: 1)
            return .failing(kind: kind)
        }
    }
}
