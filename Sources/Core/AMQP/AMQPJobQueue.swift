import Foundation

/// The hand-over between async callers and an `AMQPWorker`'s thread.
///
/// `@unchecked Sendable`: every stored property is read and written only while holding `condition`.
final class AMQPJobQueue: @unchecked Sendable {
    struct Job {
        let id: UInt64
        let run: @Sendable (AMQPWorkerContext) -> Void
        let cancel: @Sendable () -> Void
    }

    enum Work {
        case job(Job)
        /// Nothing to do for a while: service the connection.
        case idle
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var lastID: UInt64 = 0
    private var running: (id: UInt64, isCancelled: Bool)?
    private var isStopping = false
    private var isFinished = false
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []
    private var connected = false

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    func makeID() -> UInt64 {
        locked {
            lastID += 1
            return lastID
        }
    }

    /// Queues `job`; false when the worker stops or the calling task is already cancelled.
    func enqueue(_ job: Job) -> Bool {
        locked {
            guard !isStopping, !Task.isCancelled else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
    }

    /// Takes a queued job out (it is answered with a cancellation) or marks the running one cancelled.
    func cancel(_ id: UInt64) {
        let removed = locked { () -> Job? in
            if let index = jobs.firstIndex(where: { $0.id == id }) {
                return jobs.remove(at: index)
            }
            if running?.id == id {
                running?.isCancelled = true
                condition.broadcast()
            }
            return nil
        }
        removed?.cancel()
    }

    /// The next job, `.idle` after `idle` without one, or nil once stopping with nothing left.
    /// `stopping` tells the thread to close its connection first.
    func next(idle: Duration) -> (work: Work?, stopping: Bool) {
        locked {
            running = nil
            let deadline = Date(timeIntervalSinceNow: idle / .seconds(1))
            while jobs.isEmpty && !isStopping {
                if !condition.wait(until: deadline) { return (.idle, false) }
            }
            guard !jobs.isEmpty else { return (nil, true) }
            let job = jobs.removeFirst()
            running = (job.id, false)
            return (.job(job), isStopping)
        }
    }

    /// Waits out a backoff; false as soon as the worker stops or the running job is cancelled.
    func sleep(_ duration: Duration) -> Bool {
        locked {
            let deadline = Date(timeIntervalSinceNow: duration / .seconds(1))
            while !isStopping && running?.isCancelled != true {
                if !condition.wait(until: deadline) { return true }
            }
            return false
        }
    }

    var isRunningJobCancelled: Bool { locked { running?.isCancelled == true } }

    var isConnected: Bool {
        get { locked { connected } }
        set { locked { connected = newValue } }
    }

    func stop() {
        locked {
            isStopping = true
            condition.broadcast()
        }
    }

    /// Stops the worker and waits until its thread has closed the connection and exited.
    func stopAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = locked { () -> Bool in
                isStopping = true
                condition.broadcast()
                if !isFinished { finishWaiters.append(continuation) }
                return isFinished
            }
            if finished { continuation.resume() }
        }
    }

    /// Called by the thread as it exits.
    func finish() {
        let waiters = locked { () -> [CheckedContinuation<Void, Never>] in
            isFinished = true
            defer { finishWaiters.removeAll() }
            return finishWaiters
        }
        for waiter in waiters {
            waiter.resume()
        }
    }
}
