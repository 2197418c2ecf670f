/// What to do next with an AMQP session, without doing any I/O: connect → declare the topology →
/// start consuming → ready; a failed step waits (exponential backoff) and connects again, up to the
/// retry policy's limit; a connection lost while ready starts over at once.
///
/// The driver performs each returned action and reports back with `succeeded()`, `failed()`,
/// `waited()`, `cancel()` or `connectionLost()`.
public struct AMQPSessionStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case disconnected
        case connecting(attempt: Int)
        case declaring(attempt: Int)
        case subscribing(attempt: Int)
        case ready
        case waiting(beforeAttempt: Int)
        case closed
    }

    public enum Action: Sendable, Equatable {
        /// Open a new connection (dropping any previous one).
        case connect(attempt: Int)
        case declareTopology
        case startConsuming
        /// The connection is ready: hand it to the caller.
        case useConnection
        /// Drop the connection, wait, then report `waited()`.
        case wait(Duration, beforeAttempt: Int)
        /// Drop the connection and report the last error: the retry limit is reached.
        case giveUp
        /// The session was closed: refuse the work.
        case refuse
    }

    public private(set) var state: State = .disconnected
    public let policy: AMQPRetryPolicy
    public let declaresTopology: Bool
    public let consumes: Bool

    public init(policy: AMQPRetryPolicy, declaresTopology: Bool, consumes: Bool) {
        self.policy = policy
        self.declaresTopology = declaresTopology
        self.consumes = consumes
    }

    /// Work wants the connection.
    public mutating func start() -> Action {
        switch state {
        case .disconnected:
            state = .connecting(attempt: 1)
            return .connect(attempt: 1)
        case .ready:
            return .useConnection
        case .closed:
            return .refuse
        case .connecting, .declaring, .subscribing, .waiting:
            preconditionFailure("start() while \(state)")
        }
    }

    /// The step of the last action finished.
    public mutating func succeeded() -> Action {
        switch state {
        case .connecting(let attempt):
            return declaresTopology ? declaring(attempt) : afterDeclaring(attempt)
        case .declaring(let attempt):
            return afterDeclaring(attempt)
        case .subscribing:
            state = .ready
            return .useConnection
        case .closed:
            return .refuse
        case .disconnected, .ready, .waiting:
            preconditionFailure("succeeded() while \(state)")
        }
    }

    /// The step of the last action failed.
    public mutating func failed() -> Action {
        switch state {
        case .connecting(let attempt), .declaring(let attempt), .subscribing(let attempt):
            guard attempt < policy.maxAttempts else {
                state = .disconnected
                return .giveUp
            }
            state = .waiting(beforeAttempt: attempt + 1)
            return .wait(policy.delay(after: attempt), beforeAttempt: attempt + 1)
        case .closed:
            return .refuse
        case .disconnected, .ready, .waiting:
            preconditionFailure("failed() while \(state)")
        }
    }

    /// The backoff of a `.wait` action is over.
    public mutating func waited() -> Action {
        switch state {
        case .waiting(let attempt):
            state = .connecting(attempt: attempt)
            return .connect(attempt: attempt)
        case .closed:
            return .refuse
        default:
            preconditionFailure("waited() while \(state)")
        }
    }

    /// The ready connection broke (an error, a broker close, a missed heartbeat).
    public mutating func connectionLost() {
        if state == .ready { state = .disconnected }
    }

    /// The driver abandoned connecting (its caller was cancelled): the next `start()` begins anew.
    public mutating func cancel() {
        switch state {
        case .connecting, .declaring, .subscribing, .waiting: state = .disconnected
        case .disconnected, .ready, .closed: break
        }
    }

    /// No more work: every later event answers `.refuse`.
    public mutating func close() {
        state = .closed
    }

    private mutating func declaring(_ attempt: Int) -> Action {
        state = .declaring(attempt: attempt)
        return .declareTopology
    }

    private mutating func afterDeclaring(_ attempt: Int) -> Action {
        if consumes {
            state = .subscribing(attempt: attempt)
            return .startConsuming
        }
        state = .ready
        return .useConnection
    }
}
