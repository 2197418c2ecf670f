/// Limits every request of one `HTTPClient` obeys.
public struct HTTPClientConfiguration: Sendable {
    /// From the first byte of name resolution to an established (and for HTTPS, verified) connection.
    public var connectTimeout: Duration
    /// The whole request, connection included.
    public var timeout: Duration
    /// The largest body accepted; a bigger one aborts the transfer with `HTTPClientError.tooLarge`.
    public var maxResponseSize: Int
    /// Whether 3xx answers are followed (at most 5 hops, http and https only).
    public var followRedirects: Bool
    /// Requests in flight at once, each on its own pooled handle with its kept-alive connections.
    public var maxConcurrentRequests: Int
    public var userAgent: String

    public init(
        connectTimeout: Duration = .seconds(2), timeout: Duration = .seconds(10), maxResponseSize: Int = 1 << 20,
        followRedirects: Bool = false, maxConcurrentRequests: Int = 4, userAgent: String = "buyorders"
    ) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseSize = maxResponseSize
        self.followRedirects = followRedirects
        self.maxConcurrentRequests = maxConcurrentRequests
        self.userAgent = userAgent
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a tiny positive duration never becomes "no limit".
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        return Int(seconds) * 1000 + Int((attoseconds + perMillisecond - 1) / perMillisecond)
    }
}
