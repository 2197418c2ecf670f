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

/// Set once to ask a blocking loop to finish.
public final class StopFlag: Sendable {
    private let value = Atomic(false)

    public init() {}

    public var isSet: Bool { value.load(ordering: .acquiring) }

    public func set() { value.store(true, ordering: .releasing) }

    /// Sleeps up to `duration` in short steps; returns early once the flag is set.
    public func sleep(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isSet, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

import Foundation
