import NIOPosix
import Synchronization

/// A bounded pool of blocking resources (database connections, curl handles).
///
/// The pool owns one thread per resource: a `withResource` body runs on one of them (never on an event
/// loop), callers beyond `capacity` queue in order inside the thread pool, so no more than `capacity`
/// resources ever exist. Resources are created lazily. One that `isReusable` rejects when it is checked
/// back in, or `isAlive` when it is checked out again after sitting idle, is dropped with every idle one,
/// so the next user gets a fresh one.
public final class ResourcePool<Resource: AnyObject & Sendable>: Sendable {
    public typealias Factory = @Sendable () throws -> Resource

    private struct State {
        var idle: [Resource] = []
        var inUse = 0
        var isClosed = false
    }

    private let state: Mutex<State>
    private let threads: NIOThreadPool
    private let make: Factory
    private let isReusable: @Sendable (Resource) -> Bool
    private let isAlive: @Sendable (Resource) -> Bool
    public let capacity: Int

    /// `isReusable` runs at every check-in and should be cheap; `isAlive` runs at check-out of an idle
    /// resource and may look at its socket.
    public init(
        capacity: Int, make: @escaping Factory, isReusable: @escaping @Sendable (Resource) -> Bool,
        isAlive: @escaping @Sendable (Resource) -> Bool = { _ in true }
    ) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.state = Mutex(State())
        self.threads = NIOThreadPool(numberOfThreads: capacity)
        self.make = make
        self.isReusable = isReusable
        self.isAlive = isAlive
        threads.start()
    }

    /// Checks out a resource, runs `body` with it on a pool thread, and checks it back in.
    public func withResource<T: Sendable>(_ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        do {
            return try await threads.runIfActive { [self] in
                let resource = try checkOut()
                defer { checkIn(resource) }
                return try body(resource)
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PoolClosedError()
        }
    }

    /// Resources in use right now.
    public var inUse: Int { state.withLock { $0.inUse } }

    /// Drops idle resources, fails queued and new users, and stops the threads.
    public func close() async {
        state.withLock { state in
            state.isClosed = true
            state.idle.removeAll()
        }
        try? await threads.shutdownGracefully()
    }

    // MARK: - Check-out, on a pool thread

    /// An idle resource that `isAlive` still accepts, else a new one. One found broken while idle most
    /// likely broke with its idle siblings (a database restart): they are dropped too.
    private func checkOut() throws -> Resource {
        let idle = try state.withLock { state -> Resource? in
            if state.isClosed { throw PoolClosedError() }
            state.inUse += 1
            return state.idle.popLast()
        }
        if let idle {
            if isAlive(idle) { return idle }
            state.withLock { $0.idle.removeAll() }
        }
        do {
            return try make()
        } catch {
            state.withLock { $0.inUse -= 1 }
            throw error
        }
    }

    /// A resource that broke most likely broke with its idle siblings (a database restart): they are
    /// dropped too, so the callers after this one do not each find a dead one.
    private func checkIn(_ resource: Resource) {
        let keep = isReusable(resource)
        state.withLock { state in
            state.inUse -= 1
            if !keep {
                state.idle.removeAll()
            } else if !state.isClosed {
                state.idle.append(resource)
            }
        }
    }
}

/// The pool was closed while a caller waited or tried to use it.
public struct PoolClosedError: Error, CustomStringConvertible {
    public var description: String { "the pool is closed" }
}
