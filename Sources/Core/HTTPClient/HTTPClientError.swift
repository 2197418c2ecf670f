/// Why an HTTP request got no usable answer.
///
/// `description` names the kind of failure; `debugDescription` adds curl's own message.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The host name did not resolve.
    case resolve(String)
    /// No connection: refused or unreachable.
    case connect(String)
    /// The connect timeout or the whole request's timeout passed.
    case timeout(String)
    /// The TLS handshake or the server's certificate failed.
    case tls(String)
    /// The response body was bigger than the client accepts; the transfer was aborted.
    case tooLarge(limit: Int)
    /// The server answered with a status the caller does not accept (see `HTTPClientResponse.requireSuccess`).
    case status(Int)
    /// The request could not be built: a URL or header curl refuses, or curl itself failed to start.
    case invalidRequest(String)
    /// Any other curl failure, with curl's code and message.
    case other(code: Int, message: String)

    /// A short, stable name for the kind, fit for a metric label: `resolve`, `connect`, `timeout`, …
    public var kind: String {
        switch self {
        case .resolve: "resolve"
        case .connect: "connect"
        case .timeout: "timeout"
        case .tls: "tls"
        case .tooLarge: "too_large"
        case .status: "status"
        case .invalidRequest: "invalid_request"
        case .other: "other"
        }
    }

    public var description: String {
        switch self {
        case .resolve: "host name did not resolve"
        case .connect: "could not connect"
        case .timeout: "timed out"
        case .tls: "TLS failed"
        case .tooLarge(let limit): "response larger than \(limit) bytes"
        case .status(let code): "status \(code)"
        case .invalidRequest: "invalid request"
        case .other(let code, _): "transfer failed (curl \(code))"
        }
    }

    public var debugDescription: String {
        switch self {
        case .resolve(let message), .connect(let message), .timeout(let message), .tls(let message),
            .invalidRequest(let message):
            "\(description): \(message)"
        case .other(_, let message): "\(description): \(message)"
        case .tooLarge, .status: description
        }
    }
}
