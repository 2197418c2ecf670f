/// What to do next with a broker session, without any I/O: connect → declare the topology → start
/// consuming → ready. A failed step, or a ready connection that breaks, drops the connection, waits
/// (the backoff grows with each failure in a row, up to its cap) and connects again, to the next
/// endpoint when there are several, for as long as the session runs: a long-running loop never
/// gives up. Each change of state the driver should log comes with the action, once per outage.
///
/// The driver performs each action and reports back with `succeeded()`, `failed()`, `waited()`,
/// `connectionLost()` or `stop()`.
public struct AMQPSessionStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case idle
        case connecting(endpoint: Int)
        case declaring(endpoint: Int)
        case subscribing(endpoint: Int)
        case ready(endpoint: Int)
        case waiting(endpoint: Int)
        case stopped
    }

    /// A change of state worth one log line.
    public enum Announcement: Sendable, Equatable {
        /// The ready connection broke.
        case lost
        /// Connecting failed, the first time since the session was last ready (or started).
        case unavailable
    }

    public enum Action: Sendable, Equatable {
        /// Open a connection to `endpoints[endpoint]`.
        case connect(endpoint: Int)
        case declareTopology
        case startConsuming
        /// The connection is ready to use. `reconnected`: an earlier connection of this session was ready
        /// (count a reconnect); `afterFailures`: the failed attempts since then.
        case ready(reconnected: Bool, afterFailures: Int)
        /// Drop the connection, wait, then report `waited()`; log `announcement` if there is one.
        case wait(Duration, announcement: Announcement?)
        /// Drop the connection; the session is over.
        case stop
    }

    public private(set) var state: State = .idle
    /// Failed attempts (and lost connections) since the session was last ready.
    public private(set) var failures = 0
    public let backoff: Backoff
    public let endpointCount: Int
    public let declaresTopology: Bool
    public let consumes: Bool
    private var endpoint = 0
    private var hasBeenReady = false

    public init(backoff: Backoff, endpointCount: Int = 1, declaresTopology: Bool, consumes: Bool) {
        precondition(endpointCount >= 1)
        self.backoff = backoff
        self.endpointCount = endpointCount
        self.declaresTopology = declaresTopology
        self.consumes = consumes
    }

    /// The session begins.
    public mutating func start() -> Action {
        switch state {
        case .idle:
            state = .connecting(endpoint: endpoint)
            return .connect(endpoint: endpoint)
        case .stopped:
            return .stop
        case .connecting, .declaring, .subscribing, .ready, .waiting:
            preconditionFailure("start() while \(state)")
        }
    }

    /// The step of the last action finished.
    public mutating func succeeded() -> Action {
        switch state {
        case .connecting(let endpoint) where declaresTopology:
            state = .declaring(endpoint: endpoint)
            return .declareTopology
        case .connecting(let endpoint), .declaring(let endpoint):
            guard consumes else { return ready(endpoint) }
            state = .subscribing(endpoint: endpoint)
            return .startConsuming
        case .subscribing(let endpoint):
            return ready(endpoint)
        case .stopped:
            return .stop
        case .idle, .ready, .waiting:
            preconditionFailure("succeeded() while \(state)")
        }
    }

    /// The step of the last action failed.
    public mutating func failed() -> Action {
        switch state {
        case .connecting, .declaring, .subscribing:
            return backOff(announcement: failures == 0 ? .unavailable : nil)
        case .stopped:
            return .stop
        case .idle, .ready, .waiting:
            preconditionFailure("failed() while \(state)")
        }
    }

    /// The ready connection broke (an error, a broker close, a missed heartbeat).
    public mutating func connectionLost() -> Action {
        switch state {
        case .ready:
            return backOff(announcement: .lost)
        case .stopped:
            return .stop
        case .idle, .connecting, .declaring, .subscribing, .waiting:
            preconditionFailure("connectionLost() while \(state)")
        }
    }

    /// The wait of a `.wait` action is over.
    public mutating func waited() -> Action {
        switch state {
        case .waiting(let endpoint):
            state = .connecting(endpoint: endpoint)
            return .connect(endpoint: endpoint)
        case .stopped:
            return .stop
        case .idle, .connecting, .declaring, .subscribing, .ready:
            preconditionFailure("waited() while \(state)")
        }
    }

    /// Stopping began: every later event answers `.stop`.
    public mutating func stop() -> Action {
        state = .stopped
        return .stop
    }

    private mutating func ready(_ endpoint: Int) -> Action {
        state = .ready(endpoint: endpoint)
        defer {
            failures = 0
            hasBeenReady = true
        }
        return .ready(reconnected: hasBeenReady, afterFailures: failures)
    }

    /// Waits before the next attempt, on the next endpoint.
    private mutating func backOff(announcement: Announcement?) -> Action {
        failures += 1
        endpoint = (endpoint + 1) % endpointCount
        state = .waiting(endpoint: endpoint)
        return .wait(backoff.delay(afterFailures: failures), announcement: announcement)
    }
}
