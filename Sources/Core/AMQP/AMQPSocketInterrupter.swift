import Dispatch
import Foundation
import Synchronization

/// Breaks a connection's blocking calls from another thread: shutting its socket down makes the
/// wait inside rabbitmq-c fail at once. It holds a duplicate of the descriptor, so it never touches
/// a descriptor number that rabbitmq-c closed and the process reused; `release` closes it.
final class AMQPSocketInterrupter: Sendable {
    private struct State {
        var descriptor: Int32?
        var isInterrupted = false
    }

    private let state = Mutex(State())

    /// Starts watching the connection's socket (once it is open); shuts it down at once if an
    /// interruption came first.
    func attach(_ socket: Int32) {
        guard socket >= 0 else { return }
        let copy = dup(socket)
        guard copy >= 0 else { return }
        state.withLock { state in
            state.descriptor = copy
            if state.isInterrupted { shutdown(copy, Int32(SHUT_RDWR)) }
        }
    }

    /// Shuts the socket down after `delay`, and every socket attached later at once.
    func interrupt(after delay: Duration) {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) * 1e-18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            state.withLock { state in
                state.isInterrupted = true
                if let descriptor = state.descriptor { shutdown(descriptor, Int32(SHUT_RDWR)) }
            }
        }
    }

    /// The connection is done with its socket.
    func release() {
        state.withLock { state in
            if let descriptor = state.descriptor { close(descriptor) }
            state.descriptor = nil
        }
    }
}
