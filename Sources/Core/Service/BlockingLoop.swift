import Foundation
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Runs a blocking loop on a thread of its own until graceful shutdown, for loops that own C
/// connections (libpq, rabbitmq-c) and must never block an event loop or the cooperative pool.
/// The loop body gets a `StopFlag` to check between bounded waits.
public enum BlockingLoop {
    public static func run(name: String, _ body: @escaping @Sendable (StopFlag) -> Void) async {
        let stop = StopFlag()
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                _ = try? await thread.runIfActive { body(stop) }
            } onCancel: {
                stop.set()
            }
        } onGracefulShutdown: {
            stop.set()
        }
        try? await thread.shutdownGracefully()
    }
}

/// Set once to ask a blocking loop to finish. Waits check it; a blocking call that cannot check it
/// (a C call inside a socket wait) registers a handler that breaks the call once the flag is set.
public final class StopFlag: Sendable {
    private let value = Atomic(false)
    private let handlers = Mutex<(next: Int, byID: [Int: @Sendable () -> Void])>((0, [:]))

    public init() {}

    public var isSet: Bool { value.load(ordering: .acquiring) }

    public func set() {
        let waiting = handlers.withLock { handlers in
            value.store(true, ordering: .releasing)
            defer { handlers.byID.removeAll() }
            return Array(handlers.byID.values)
        }
        for handler in waiting { handler() }
    }

    /// Runs `handler` once the flag is set, on the thread that sets it (at once if it is set already).
    /// Returns an id for `remove`, or nil when it ran at once.
    public func whenSet(_ handler: @escaping @Sendable () -> Void) -> Int? {
        let id = handlers.withLock { handlers -> Int? in
            guard !isSet else { return nil }
            handlers.next += 1
            handlers.byID[handlers.next] = handler
            return handlers.next
        }
        if id == nil { handler() }
        return id
    }

    public func remove(_ id: Int) {
        _ = handlers.withLock { $0.byID.removeValue(forKey: id) }
    }

    /// Sleeps up to `duration` in short steps; returns early once the flag is set. False when set.
    @discardableResult
    public func sleep(_ duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while !isSet, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: min(0.05, max(0.001, (deadline - ContinuousClock.now) / .seconds(1))))
        }
        return !isSet
    }
}
