import NIOCore

/// The rules one HTTP/1 connection lives by, as a pure state machine that `HTTPConnectionGuard`
/// drives with the connection's events:
///
/// - the head of a request must arrive within `header` of its first byte; a connection with no
///   request in progress (a new one too) is closed after `idle`, and so is one whose request body
///   pauses for longer;
/// - a request that asks to close (HTTP/1.0 without keep-alive, `Connection: close`) or arrives
///   while the server drains is the connection's last: its response says `Connection: close`, the
///   output closes after it, and whatever the client sends after that request is dropped unread;
/// - once draining begins, the response in flight is the last, and a connection with none in
///   flight waits `drainGrace` for a request already on its way before it closes.
struct HTTPConnectionState {
    struct Timeouts: Sendable, Equatable {
        var header: TimeAmount
        var idle: TimeAmount
        var drainGrace: TimeAmount
    }

    enum Phase: Equatable {
        /// No request in progress and no byte of the next one yet.
        case waiting(until: NIODeadline)
        /// Bytes of a head arrived; the head is due by then.
        case readingHead(until: NIODeadline)
        /// Requests passed on whose responses have not ended.
        case serving
        /// The last response is out and the output closed; the client has until then to close.
        case closing(until: NIODeadline)
        case closed
    }

    enum Inbound: Equatable {
        case forward
        case drop
    }

    enum Close: Equatable {
        case none
        /// Close both directions now.
        case close
        /// Close the output once the response just written is sent.
        case closeOutput
    }

    let timeouts: Timeouts
    private(set) var phase: Phase
    /// Requests passed on (a head, or a parse error Hummingbird answers) whose response has not ended.
    private(set) var inProgress = 0
    private(set) var isDraining = false
    /// The last request is passed on: no other is.
    private(set) var lastRequestAccepted = false
    /// The last request has arrived in full: everything after it is dropped.
    private(set) var isDiscarding = false
    private var readingBody = false
    private var bodyDeadline = NIODeadline.distantFuture
    private var drainDeadline = NIODeadline.distantFuture

    init(timeouts: Timeouts, openedAt now: NIODeadline) {
        self.timeouts = timeouts
        self.phase = .waiting(until: now + timeouts.idle)
    }

    /// When the connection must next be looked at; nil while nothing is due.
    var deadline: NIODeadline? {
        switch phase {
        case .waiting(let until), .readingHead(let until), .closing(let until): until
        case .serving: readingBody ? bodyDeadline : nil
        case .closed: nil
        }
    }

    /// Whether `bytesArrived` uses the time it is given, so the caller reads the clock only then.
    var wantsTimeOfBytes: Bool {
        switch phase {
        case .waiting: true
        case .serving: readingBody
        case .readingHead, .closing, .closed: false
        }
    }

    // MARK: - Inbound

    mutating func bytesArrived(at now: NIODeadline) {
        switch phase {
        case .waiting:
            phase = .readingHead(until: min(now + timeouts.header, drainDeadline))
        case .serving where readingBody:
            bodyDeadline = now + timeouts.idle
        case .readingHead, .serving, .closing, .closed:
            break
        }
    }

    mutating func headReceived(keepAlive: Bool, at now: NIODeadline) -> Inbound {
        guard !isDiscarding, phase != .closed else { return .drop }
        inProgress += 1
        readingBody = true
        bodyDeadline = now + timeouts.idle
        if !keepAlive || isDraining { lastRequestAccepted = true }
        phase = .serving
        return .forward
    }

    mutating func bodyReceived() -> Inbound {
        isDiscarding ? .drop : .forward
    }

    mutating func endReceived() -> Inbound {
        guard !isDiscarding else { return .drop }
        readingBody = false
        if lastRequestAccepted { isDiscarding = true }
        return .forward
    }

    /// A malformed request: Hummingbird answers it with a 400 and closes, so it counts as a last
    /// request received in full (the one whose body it breaks, or a new one), unless it is only
    /// noise after the last one.
    mutating func parseErrorReceived() -> Inbound {
        guard !isDiscarding, phase != .closed else { return .drop }
        if !readingBody { inProgress += 1 }
        readingBody = false
        lastRequestAccepted = true
        isDiscarding = true
        phase = .serving
        return .forward
    }

    // MARK: - Outbound

    /// Called as a final response head goes out; true when it must say `Connection: close`.
    mutating func responseHeadWritten() -> Bool {
        guard inProgress == 1, lastRequestAccepted || isDraining else { return false }
        if !lastRequestAccepted {
            lastRequestAccepted = true
            if !readingBody { isDiscarding = true }
        }
        return true
    }

    mutating func responseEnded(at now: NIODeadline) -> Close {
        guard inProgress > 0 else { return .none }
        inProgress -= 1
        guard inProgress == 0 else { return .none }
        if lastRequestAccepted || isDraining {
            lastRequestAccepted = true
            isDiscarding = true
            phase = .closing(until: min(now + timeouts.header, drainDeadline))
            return .closeOutput
        }
        phase = .waiting(until: now + timeouts.idle)
        return .none
    }

    // MARK: - Drain, time, end

    /// The server stopped listening and drains its connections.
    mutating func drainBegan(at now: NIODeadline) -> Close {
        guard !isDraining else { return .none }
        isDraining = true
        drainDeadline = now + timeouts.drainGrace
        switch phase {
        case .waiting(let until):
            phase = .waiting(until: min(until, drainDeadline))
        case .readingHead(let until):
            phase = .readingHead(until: min(until, drainDeadline))
        case .closing(let until):
            phase = .closing(until: min(until, drainDeadline))
        case .serving, .closed:
            return .none
        }
        return timeouts.drainGrace <= .zero ? timerFired(at: now) : .none
    }

    mutating func timerFired(at now: NIODeadline) -> Close {
        guard let deadline, now >= deadline else { return .none }
        phase = .closed
        return .close
    }

    mutating func connectionClosed() {
        phase = .closed
    }
}
