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
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return try await pool.withResource { handle in
                try handle.get(url, headers: headers, cancellation: cancellation)
            }
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
