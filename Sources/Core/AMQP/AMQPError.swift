/// An AMQP failure. `description` stays generic; `debugDescription` has the broker's or library's detail.
public struct AMQPError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public enum Code: Equatable, Sendable {
        /// The TCP connection could not be opened (refused, unreachable, unresolvable host).
        case connectionFailed
        /// The broker refused the credentials (ACCESS_REFUSED at login).
        case authenticationFailed
        /// The broker closed the channel; `replyCode` says why (404 not found, 406 precondition failed, ...).
        case channelClosed
        /// The broker closed the connection, the socket closed, or heartbeats stopped arriving.
        case connectionClosed
        /// Connecting, an RPC or a publisher confirm did not finish in time.
        case timeout
        /// The broker blocked publishing on this connection (connection.blocked: a memory or disk alarm).
        /// Publishing now would hang until the alarm clears; try again later.
        case blocked
        /// The broker answered a publish with basic.nack.
        case publishNacked
        /// A mandatory publish reached no queue (basic.return).
        case unroutable
        /// The broker cancelled the consumer (its queue was deleted).
        case consumerCancelled
        /// An ack or nack for a delivery of an earlier connection; the broker redelivers that message.
        case staleDelivery
        /// An unexpected frame or a library failure.
        case protocolError
    }

    public var code: Code
    /// The AMQP reply code of a channel.close or connection.close, or of a basic.return.
    public var replyCode: UInt16?
    public var message: String

    public init(_ code: Code, replyCode: UInt16? = nil, message: String) {
        self.code = code
        self.replyCode = replyCode
        self.message = message
    }

    public var description: String { "AMQP error (\(code))" }

    public var debugDescription: String {
        "AMQP error (\(code))" + (replyCode.map { " \($0)" } ?? "") + ": \(message)"
    }
}
