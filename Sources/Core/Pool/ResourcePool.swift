import NIOPosix
import Synchronization

/// A bounded pool of blocking resources (database connections, curl handles).
///
/// `withResource` waits for a free slot when all are in use, creates resources lazily,
/// runs the blocking body on the pool's own threads (never on an event loop), and
/// drops a resource that `isReusable` rejects so the next user gets a fresh one.
public final class ResourcePool<Resource: AnyObject & Sendable>: Sendable {
    public typealias Factory = @Sendable () throws -> Resource

    private struct State {
        var idle: [Resource] = []
        var freeSlots: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
    }

    private let state: Mutex<State>
    private let threads: NIOThreadPool
    private let make: Factory
    private let isReusable: @Sendable (Resource) -> Bool
    public let capacity: Int

    public init(capacity: Int, make: @escaping Factory, isReusable: @escaping @Sendable (Resource) -> Bool) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.state = Mutex(State(freeSlots: capacity))
        self.threads = NIOThreadPool(numberOfThreads: capacity)
        self.make = make
        self.isReusable = isReusable
        threads.start()
    }

    /// Checks out a resource, runs `body` with it on a pool thread, and checks it back in.
    public func withResource<T: Sendable>(_ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        try await acquireSlot()
        defer { releaseSlot() }
        let idle = state.withLock { $0.idle.popLast() }
        let (result, resource) = try await threads.runIfActive { [make, isReusable] () -> (Result<T, any Error>, Resource?) in
            let resource: Resource
            do {
                resource = try idle ?? make()
            } catch {
                return (.failure(error), nil)
            }
            let result = Result { try body(resource) }
            return (result, isReusable(resource) ? resource : nil)
        }
        if let resource {
            state.withLock { $0.idle.append(resource) }
        }
        return try result.get()
    }

    /// Resources in use right now.
    public var inUse: Int { state.withLock { capacity - $0.freeSlots } }

    /// Drops idle resources, fails waiters and new users, and stops the threads.
    public func close() async {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.isClosed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        waiters.forEach { $0.resume(throwing: PoolClosedError()) }
        try? await threads.shutdownGracefully()
    }

    // MARK: - Slots

    private func acquireSlot() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Bool, any Error> in
                    if state.isClosed { return .failure(PoolClosedError()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.freeSlots > 0 {
                        state.freeSlots -= 1
                        return .success(true)
                    }
                    state.waiters.append((id, continuation))
                    return .success(false)
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Hands the slot to the longest waiter, or frees it.
    private func releaseSlot() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty {
                state.freeSlots += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}

/// The pool was closed while a caller waited or tried to use it.
public struct PoolClosedError: Error, CustomStringConvertible {
    public var description: String { "the pool is closed" }
}
