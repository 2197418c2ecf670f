/// When `buy` sends its order again: after no answer, a dropped connection, or a 503 of type
/// `/problems/outcome-unknown` (the server lost its database while committing), with the same
/// idempotency key, so the order exists once whatever happened to the earlier attempts. Any other
/// answer is final. A bounded number of attempts, with growing pauses.
struct BuyRetry: Sendable, Equatable {
    enum Outcome: Sendable, Equatable {
        case noAnswer
        case answered(status: Int, problemType: String?)
    }

    enum Decision: Sendable, Equatable {
        /// The answer is final: show it.
        case accept
        /// Send the same request again after this pause.
        case retry(after: Duration)
        /// No more attempts: the outcome is unknown.
        case giveUp
    }

    /// The pauses before the 2nd, 3rd, … attempt; their count + 1 attempts in all.
    let pauses: [Duration]
    private(set) var attempts = 0

    init(pauses: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]) {
        self.pauses = pauses
    }

    var maxAttempts: Int { pauses.count + 1 }

    static func isRetryable(_ outcome: Outcome) -> Bool {
        switch outcome {
        case .noAnswer: true
        case .answered(let status, let type): status == 503 && type == "/problems/outcome-unknown"
        }
    }

    /// Records the outcome of one more attempt and says what to do next.
    mutating func decide(after outcome: Outcome) -> Decision {
        attempts += 1
        guard Self.isRetryable(outcome) else { return .accept }
        guard attempts < maxAttempts else { return .giveUp }
        return .retry(after: pauses[attempts - 1])
    }
}
