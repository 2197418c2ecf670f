import Core
import Foundation
import Synchronization

/// What the projection loop tells `/ready`: written by the loop's thread, read by the route.
///
/// Holding events (the read model refuses writes) is `down`: the service cannot do its one job, as
/// when its database is unreachable, and a rollout should not go on. Parked dead letters are a
/// `degraded` detail: the service works, but an operator has messages to look at.
final class ProjectionStatus: Sendable {
    struct Holding: Equatable {
        var events: Int
        var reason: String
        var since: ContinuousClock.Instant
    }

    private struct State {
        var consuming = false
        var holding: Holding?
        var parkedDeadLetters = 0
        /// Poison messages whose dead letter the broker has not confirmed yet.
        var unsentDeadLetters = 0
    }

    private let state = Mutex(State())
    let queue: String
    let deadLetterQueue: String

    init(queue: String, deadLetterQueue: String) {
        self.queue = queue
        self.deadLetterQueue = deadLetterQueue
    }

    func consuming(_ value: Bool) { state.withLock { $0.consuming = value } }
    func holding(_ value: Holding?) { state.withLock { $0.holding = value } }
    func parkedDeadLetters(_ count: Int) { state.withLock { $0.parkedDeadLetters = count } }
    func unsentDeadLetters(_ count: Int) { state.withLock { $0.unsentDeadLetters = count } }

    var isConsuming: Bool { state.withLock { $0.consuming } }
    var currentHolding: Holding? { state.withLock { $0.holding } }

    var checks: [ReadinessCheck] {
        [
            ReadinessCheck("rabbitmq") { [self] in
                guard isConsuming else { throw NotReady("not consuming from \(queue)") }
            },
            ReadinessCheck("projection") { [self] in
                guard let holding = currentHolding else { return }
                let seconds = (ContinuousClock.now - holding.since) / .seconds(1)
                throw NotReady(
                    "holding \(holding.events) events for \(Int(seconds)) s, retrying with backoff: \(holding.reason)")
            },
            ReadinessCheck("dead_letters") { [self] in
                let (parked, unsent) = state.withLock { ($0.parkedDeadLetters, $0.unsentDeadLetters) }
                var details: [String] = []
                if parked > 0 {
                    details.append("\(parked) messages parked in \(deadLetterQueue) (read-model-sync dead-letters list)")
                }
                if unsent > 0 { details.append("\(unsent) poison messages waiting for their dead letter to be confirmed") }
                guard details.isEmpty else { throw Degraded(details.joined(separator: "; ")) }
            },
        ]
    }
}
