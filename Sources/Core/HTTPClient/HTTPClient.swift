import ServiceLifecycle

/// An HTTP client over libcurl: requests run on a pool of reused easy handles (so kept-alive connections
/// are reused), on the pool's own threads, never on an event loop.
///
/// A `Service` so that shutdown closes the pool; call `close()` when it is used outside a service group.
public final class HTTPClient: Service, Sendable {
    public let configuration: HTTPClientConfiguration
    private let pool: ResourcePool<CurlEasyHandle>

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws(HTTPClientError) {
        try Curl.globalInit.get()
        self.configuration = configuration
        self.pool = ResourcePool(
            capacity: configuration.maxConcurrentRequests,
            make: { try CurlEasyHandle(configuration: configuration) },
            isReusable: { _ in true }
        )
    }

    /// GETs `url` and returns the response whatever its status (see `HTTPClientResponse.requireSuccess`).
    ///
    /// Throws `HTTPClientError`; `CancellationError` when the task is cancelled (the transfer stops within
    /// about a second); `PoolClosedError` after `close()`.
    public func get(_ url: String, headers: [String: String] = [:]) async throws -> HTTPClientResponse {
        try await execute(HTTPClientRequest(.get, url, headers: headers))
    }

    /// Sends `request` and returns the response whatever its status; throws as `get` does.
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try await transfer { handle, cancellation in try handle.perform(request, cancellation: cancellation) }
    }

    /// Sends `request` and, while the answer's status is 2xx, hands its body to `receive` as it arrives
    /// (on a pool thread, in order), until the server ends the response: for Server-Sent Events and other
    /// long answers. The returned response carries the status and headers, and the body only when the
    /// status is not 2xx. No total timeout applies; the transfer fails with `HTTPClientError.timeout`
    /// once no byte arrived for `idleTimeout` (whole seconds). It holds one of the pool's handles while it runs.
    public func stream(
        _ request: HTTPClientRequest, idleTimeout: Duration, receive: @escaping @Sendable ([UInt8]) -> Void
    ) async throws -> HTTPClientResponse {
        let stream = StreamingTransfer(idleTimeout: idleTimeout, receive: receive)
        return try await transfer { handle, cancellation in
            try handle.perform(request, stream: stream, cancellation: cancellation)
        }
    }

    private func transfer(
        _ body: @escaping @Sendable (CurlEasyHandle, CancellationFlag) throws -> HTTPClientResponse
    ) async throws -> HTTPClientResponse {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return try await pool.withResource { handle in try body(handle, cancellation) }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Requests in flight right now.
    public var requestsInFlight: Int { pool.inUse }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    public func close() async {
        await pool.close()
    }
}
