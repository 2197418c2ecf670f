import Core
import Synchronization

/// One open stream as the hub sees it: who it is for, and its mailbox, which the hub fills from its
/// thread and the stream's writer empties. Pushing never waits.
final class StreamSubscriber: Sendable {
    let id: UInt64
    let clientID: String
    let currency: Currency?

    fileprivate struct State {
        var mailbox: StreamMailbox
        var waiter: CheckedContinuation<Void, Never>?
        /// Cuts the stream's writer short (it may be waiting on a reader that does not read).
        var cancelWriter: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>

    init(id: UInt64, clientID: String, currency: Currency?, capacity: Int) {
        self.id = id
        self.clientID = clientID
        self.currency = currency
        self.state = Mutex(State(mailbox: StreamMailbox(capacity: capacity)))
    }

    /// Never waits; on `.overflowed` the caller cuts the writer (`cutWriter`), outside its own locks.
    @discardableResult
    func push(_ delivery: StreamDelivery) -> StreamMailbox.Push {
        let (outcome, waiter) = state.withLock { state in
            let outcome = state.mailbox.push(delivery)
            return (outcome, outcome == .dropped ? nil : state.takeWaiter())
        }
        waiter?.resume()
        return outcome
    }

    /// Ends the writer's wait on a reader that does not read, once the stream fell behind.
    func cutWriter() {
        state.withLock { $0.cancelWriter }?()
    }

    func tick(heartbeat: Bool) {
        state.withLock { state in
            state.mailbox.tick(heartbeat: heartbeat)
            return state.takeWaiter()
        }?.resume()
    }

    func close(_ reason: StreamMailbox.Closing) {
        state.withLock { state in
            state.mailbox.close(reason)
            return state.takeWaiter()
        }?.resume()
    }

    /// Calls `cancel` when the stream falls behind (at once if it has).
    func whenFallingBehind(_ cancel: @escaping @Sendable () -> Void) {
        let behind = state.withLock { state in
            state.cancelWriter = cancel
            return state.mailbox.closing == .fellBehind
        }
        if behind { cancel() }
    }

    /// Waits until there is something to take (or the task is cancelled).
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.mailbox.hasWork || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.takeWaiter() }?.resume()
        }
    }

    var closing: StreamMailbox.Closing? { state.withLock { $0.mailbox.closing } }

    func take() -> StreamMailbox.Take {
        state.withLock { $0.mailbox.take() }
    }
}

extension StreamSubscriber.State {
    fileprivate mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
        defer { waiter = nil }
        return waiter
    }
}
