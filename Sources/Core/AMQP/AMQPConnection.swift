import CRabbitMQ
import Foundation
import Synchronization

/// One AMQP 0-9-1 connection to RabbitMQ with one channel, over rabbitmq-c. Every call blocks.
///
/// Explicitly not Sendable: rabbitmq-c state must not be touched by two threads. Create it, use it and
/// drop it on one thread (`AMQPSession` does, for the loops of the services).
///
/// Any broker or socket failure closes it for good (`isOpen` turns false, `failure` says why); the
/// owner replaces it with a new connection. Given a `StopFlag`, a blocking call still running
/// `stopGrace` after the flag is set (connecting, an RPC, a confirm wait) fails at once.
public final class AMQPConnection {
    /// The one channel every method uses. (`package`, like the state and the checks below, for the
    /// test helpers in Tests/TestSupport.)
    package static let channel: amqp_channel_t = 1
    private static let nextID = Atomic<UInt64>(1)
    /// How long blocking calls may still run once stopping began, so work in flight can finish.
    public static let stopGrace = Duration.seconds(1)
    /// The bound of the close handshake: a broker that does not answer it in time is left anyway.
    static let closeTimeout = Duration.milliseconds(500)

    package let state: amqp_connection_state_t
    private let interrupter: AMQPSocketInterrupter
    private let stop: StopFlag?
    private let stopHandler: Int?
    /// Tells deliveries of this connection from those of earlier ones.
    public let id: UInt64
    public let settings: AMQPSettings
    /// Why the connection stopped working; nil while it works.
    public private(set) var failure: AMQPError?
    private var isClosed = false
    /// The broker stopped reading from this connection (connection.blocked: a memory or disk alarm).
    public internal(set) var isBlocked = false

    var confirmsEnabled = false
    /// Sequence number of the next publish once confirms are on.
    var nextPublishTag: UInt64 = 1
    /// Deliveries that arrived while waiting for something else, oldest first.
    var pendingDeliveries: [AMQPDelivery] = []

    /// Connects, logs in and opens the channel (blocking, bounded by the settings' timeouts, and
    /// by `stop`'s grace once it is set).
    public init(settings: AMQPSettings, stop: StopFlag? = nil) throws {
        guard let state = amqp_new_connection() else {
            throw AMQPError(.protocolError, message: "out of memory")
        }
        let interrupter = AMQPSocketInterrupter()
        let stopHandler = stop?.whenSet { interrupter.interrupt(after: Self.stopGrace) }
        do {
            try Self.handshake(state, settings, interrupter)
        } catch {
            if let stopHandler { stop?.remove(stopHandler) }
            interrupter.release()
            amqp_destroy_connection(state)
            throw error
        }
        self.state = state
        self.settings = settings
        self.interrupter = interrupter
        self.stop = stop
        self.stopHandler = stopHandler
        self.id = Self.nextID.add(1, ordering: .relaxed).oldValue
    }

    deinit {
        close()
        if let stopHandler { stop?.remove(stopHandler) }
        interrupter.release()
        amqp_destroy_connection(state)
    }

    public var isOpen: Bool { failure == nil && !isClosed }

    /// The heartbeat interval agreed with the broker; zero when off.
    public var heartbeat: Duration { .seconds(Int(amqp_get_heartbeat(state))) }

    /// Closes the connection politely (connection.close also closes its channel) unless it failed;
    /// idempotent. The handshake is bounded by `closeTimeout`; errors are ignored: the connection is
    /// finished either way.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        switch failure?.code {
        case nil, .consumerCancelled?, .channelClosed?:
            var timeout = timeval(min(settings.rpcTimeout, Self.closeTimeout))
            _ = amqp_set_rpc_timeout(state, &timeout)
            _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        default:
            break
        }
        interrupter.release()
    }

    // MARK: - Connecting

    private static func handshake(
        _ state: amqp_connection_state_t, _ settings: AMQPSettings, _ interrupter: AMQPSocketInterrupter
    ) throws {
        let endpoint = settings.endpoint
        guard let socket = amqp_tcp_socket_new(state) else {
            throw AMQPError(.protocolError, message: "could not create a socket")
        }
        var connectTimeout = timeval(settings.connectTimeout)
        let opened = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connectTimeout)
        guard opened == AMQP_STATUS_OK.rawValue else {
            let reason = String(cString: amqp_error_string2(opened))
            if opened == AMQP_STATUS_TIMEOUT.rawValue {
                throw AMQPError(.timeout, message: "connecting to \(endpoint) timed out")
            }
            throw AMQPError(.connectionFailed, message: "could not connect to \(endpoint): \(reason)")
        }
        interrupter.attach(amqp_get_sockfd(state))
        var rpcTimeout = timeval(settings.rpcTimeout)
        guard amqp_set_handshake_timeout(state, &connectTimeout) == AMQP_STATUS_OK.rawValue,
            amqp_set_rpc_timeout(state, &rpcTimeout) == AMQP_STATUS_OK.rawValue
        else {
            throw AMQPError(.protocolError, message: "invalid timeouts")
        }
        let arena = AMQPArena()
        var properties = try arena.table(clientProperties(settings))
        let reply = crabbitmq_login_plain(
            state,
            endpoint.virtualHost,
            Int32(AMQP_DEFAULT_MAX_CHANNELS),
            Int32(AMQP_DEFAULT_FRAME_SIZE),
            Int32(clamping: settings.heartbeat.components.seconds),
            &properties,
            endpoint.user,
            endpoint.password
        )
        if let error = error(reply, state, "login to \(endpoint)") { throw error }
        _ = amqp_channel_open(state, channel)
        if let error = error(amqp_get_rpc_reply(state), state, "channel.open") { throw error }
    }

    private static func clientProperties(_ settings: AMQPSettings) -> [String: AMQPFieldValue] {
        var properties: [String: AMQPFieldValue] = [
            "capabilities": .table([
                "authentication_failure_close": true, "consumer_cancel_notify": true, "publisher_confirms": true,
                "basic.nack": true, "connection.blocked": true,
            ])
        ]
        if let name = settings.connectionName {
            properties["connection_name"] = .string(name)
        }
        return properties
    }

    /// Opens the channel again after the broker closed it (its close-ok was sent); what the old channel
    /// had (publisher confirms, consumers) is gone with it.
    func reopenChannel() throws {
        confirmsEnabled = false
        _ = amqp_channel_open(state, Self.channel)
        try checkLastReply("channel.open")
    }

    // MARK: - Failures

    package func ensureOpen() throws {
        if let failure { throw failure }
        if isClosed { throw AMQPError(.connectionClosed, message: "the connection was closed") }
    }

    /// Records `error` as the reason this connection is unusable, and returns it to throw.
    func fail(_ error: AMQPError) -> AMQPError {
        if failure == nil { failure = error }
        // rabbitmq-c may have closed the socket: let go of it.
        interrupter.release()
        return error
    }

    /// Checks the reply of a synchronous method; any failure closes the connection.
    func check(_ reply: amqp_rpc_reply_t, _ context: @autoclosure () -> String) throws {
        if let error = Self.error(reply, state, context()) { throw fail(error) }
    }

    /// Checks the last synchronous method's reply (for the calls that return a pointer).
    package func checkLastReply(_ context: @autoclosure () -> String) throws {
        try check(amqp_get_rpc_reply(state), context())
    }

    /// Checks the status of a call that only sends; any failure closes the connection.
    func check(status: Int32, _ context: @autoclosure () -> String) throws {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        throw fail(Self.error(status: status, context()))
    }

    static func error(_ reply: amqp_rpc_reply_t, _ state: amqp_connection_state_t, _ context: String) -> AMQPError? {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return error(status: reply.library_error, context)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            return closedByBroker(reply.reply, state, context)
        default:
            return AMQPError(.protocolError, message: "\(context): no reply")
        }
    }

    static func error(status: Int32, _ context: String) -> AMQPError {
        let message = "\(context): \(String(cString: amqp_error_string2(status)))"
        switch status {
        case AMQP_STATUS_TIMEOUT.rawValue:
            return AMQPError(.timeout, message: message)
        case AMQP_STATUS_CONNECTION_CLOSED.rawValue, AMQP_STATUS_SOCKET_ERROR.rawValue,
            AMQP_STATUS_SOCKET_CLOSED.rawValue, AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue, AMQP_STATUS_TCP_ERROR.rawValue:
            return AMQPError(.connectionClosed, message: message)
        case AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED.rawValue:
            return AMQPError(.connectionFailed, message: message)
        default:
            return AMQPError(.protocolError, message: message)
        }
    }

    /// Turns a channel.close or connection.close into an error, answering it with the matching close-ok.
    static func closedByBroker(
        _ method: amqp_method_t,
        _ state: amqp_connection_state_t,
        _ context: String
    )
        -> AMQPError
    {
        switch method.id {
        case AMQP_CONNECTION_CLOSE_METHOD:
            guard let close = method.decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee else {
                return AMQPError(.connectionClosed, message: "\(context): connection closed")
            }
            var closeOK = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOK)
            let code: AMQPError.Code =
                close.reply_code == UInt16(AMQP_ACCESS_REFUSED) ? .authenticationFailed : .connectionClosed
            return AMQPError(code, replyCode: close.reply_code, message: "\(context): \(String(close.reply_text))")
        case AMQP_CHANNEL_CLOSE_METHOD:
            guard let close = method.decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee else {
                return AMQPError(.channelClosed, message: "\(context): channel closed")
            }
            var closeOK = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOK)
            return AMQPError(
                .channelClosed,
                replyCode: close.reply_code,
                message: "\(context): \(String(close.reply_text))"
            )
        default:
            return AMQPError(
                .protocolError,
                message: "\(context): unexpected \(String(cString: amqp_method_name(method.id)))"
            )
        }
    }
}

@available(*, unavailable)
extension AMQPConnection: Sendable {}

extension timeval {
    /// A C timeout from a Swift duration; negative durations become zero.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = max(duration, .zero).components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

extension AMQPConnection {
    /// A connection to the first of `settings.endpoints` that answers, each tried once in order, for a
    /// command that runs once (the long-running loops use `AMQPSession`); the last failure if none does.
    public static func toFirstAnswering(_ settings: AMQPSettings, stop: StopFlag? = nil) throws -> AMQPConnection {
        var failure: (any Error)?
        for endpoint in settings.endpoints {
            var one = settings
            one.endpoint = endpoint
            do {
                return try AMQPConnection(settings: one, stop: stop)
            } catch {
                failure = error
            }
        }
        throw failure ?? AMQPError(.connectionFailed, message: "no broker to connect to")
    }
}
