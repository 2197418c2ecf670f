import Core
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing
import TestSupport

/// Core's libcurl client against a real server on loopback.
@Suite struct HTTPClientTests {
    /// Sees each request's peer address, so a test can count the connections a client opened.
    struct PeerContext: RequestContext, RemoteAddressRequestContext {
        var coreContext: CoreRequestContextStorage
        let remoteAddress: SocketAddress?

        init(source: ApplicationRequestContextSource) {
            self.coreContext = .init(source: source)
            self.remoteAddress = source.channel.remoteAddress
        }
    }

    /// Routes: `/ok`, `/big` (2000 bytes), `/big-stream` (2000 bytes chunked, no length), `/hang` (until the gate opens), `/echo` (the X-Echo header),
    /// `/redirect` (to `/ok`), `/peer` (the client's port); anything else is 404.
    static func router(gate: Gate) -> Router<PeerContext> {
        let router = Router(context: PeerContext.self)
        router.get("/ok") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain", HTTPField.Name("X-Test")!: "yes"],
                body: .init(byteBuffer: ByteBuffer(string: "hello")))
        }
        router.get("/big") { _, _ in String(repeating: "x", count: 2000) }
        router.get("/big-stream") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for _ in 0..<4 { try await writer.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: 500)) }
                    try await writer.finish(nil)
                })
        }
        router.get("/hang") { _, _ in
            await gate.wait()
            return "late"
        }
        router.get("/echo") { request, _ in request.headers[HTTPField.Name("X-Echo")!] ?? "" }
        router.get("/redirect") { _, _ in Response(status: .found, headers: [.location: "/ok"]) }
        router.get("/peer") { _, context in "\(context.remoteAddress?.port ?? 0)" }
        return router
    }

    func withServer(
        _ configuration: HTTPClientConfiguration = HTTPClientConfiguration(),
        _ body: @Sendable (HTTPClient, String) async throws -> Void
    ) async throws {
        let gate = Gate()
        try await withLocalServer(Self.router(gate: gate), gate: gate) { port in
            let client = try HTTPClient(configuration: configuration)
            do {
                try await body(client, "http://127.0.0.1:\(port)")
                await client.close()
            } catch {
                await client.close()
                throw error
            }
        }
    }

    @Test func returnsStatusHeadersAndBody() async throws {
        try await withServer { client, base in
            let response = try await client.get("\(base)/ok")
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.header("x-test") == "yes")
            #expect(response.header("Content-Type") == "text/plain")
            try response.requireSuccess()
        }
    }

    @Test func sendsRequestHeaders() async throws {
        try await withServer { client, base in
            let response = try await client.get("\(base)/echo", headers: ["X-Echo": "ping"])
            #expect(response.text == "ping")
        }
    }

    @Test func surfacesNotFoundAsStatus() async throws {
        try await withServer { client, base in
            let response = try await client.get("\(base)/missing")
            #expect(response.status == 404)
            #expect(throws: HTTPClientError.status(404)) { try response.requireSuccess() }
        }
    }

    @Test(arguments: ["/big", "/big-stream"])
    func abortsBodyLargerThanLimit(path: String) async throws {
        try await withServer(HTTPClientConfiguration(maxResponseSize: 1000)) { client, base in
            await #expect(throws: HTTPClientError.tooLarge(limit: 1000)) { try await client.get("\(base)\(path)") }
            let next = try await client.get("\(base)/ok")
            #expect(next.text == "hello")
        }
    }

    @Test func timesOutOnServerThatHangs() async throws {
        try await withServer(HTTPClientConfiguration(timeout: .milliseconds(300))) { client, base in
            let error = await #expect(throws: HTTPClientError.self) { try await client.get("\(base)/hang") }
            #expect(error?.kind == "timeout")
        }
    }

    @Test func reportsRefusedConnection() async throws {
        // Port 9 (discard) has no listener here; a port freed by a closed server could be taken by
        // another test's server before the request.
        let closedPort = 9
        let client = try HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.get("http://127.0.0.1:\(closedPort)/ok")
        }
        #expect(error?.kind == "connect")
        await client.close()
    }

    @Test func reportsUnresolvableHost() async throws {
        let client = try HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) { try await client.get("http://no-such-host.invalid/") }
        #expect(error?.kind == "resolve")
        await client.close()
    }

    @Test func refusesOtherSchemesAndHeaderInjection() async throws {
        try await withServer { client, base in
            let scheme = await #expect(throws: HTTPClientError.self) { try await client.get("file:///etc/passwd") }
            #expect(scheme?.kind == "invalid_request")
            let header = await #expect(throws: HTTPClientError.self) {
                try await client.get("\(base)/echo", headers: ["X-Echo": "a\r\nX-Injected: 1"])
            }
            #expect(header?.kind == "invalid_request")
        }
    }

    @Test func followsRedirectsOnlyWhenAsked() async throws {
        try await withServer { client, base in
            let response = try await client.get("\(base)/redirect")
            #expect(response.status == 302)
            #expect(response.header("Location") == "/ok")
        }
        try await withServer(HTTPClientConfiguration(followRedirects: true)) { client, base in
            let response = try await client.get("\(base)/redirect")
            #expect(response.status == 200)
            #expect(response.text == "hello")
        }
    }

    @Test func reusesKeptAliveConnection() async throws {
        try await withServer(HTTPClientConfiguration(maxConcurrentRequests: 1)) { client, base in
            var peers: Set<String> = []
            for _ in 0..<5 { peers.insert(try await client.get("\(base)/peer").text) }
            #expect(peers.count == 1)
        }
    }

    @Test func acceptsBodyUpToLimit() async throws {
        try await withServer(HTTPClientConfiguration(maxResponseSize: 2000)) { client, base in
            let response = try await client.get("\(base)/big-stream")
            #expect(response.body.count == 2000)
        }
    }

    @Test func servesManyConcurrentRequests() async throws {
        try await withServer(HTTPClientConfiguration(maxConcurrentRequests: 8)) { client, base in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 { group.addTask { try await client.get("\(base)/ok").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 50))
        }
    }

    @Test func stopsTransferWhenTaskIsCancelled() async throws {
        try await withServer(HTTPClientConfiguration(timeout: .seconds(60))) { client, base in
            let request = Task { try await client.get("\(base)/hang") }
            try await expectEventually { client.requestsInFlight == 1 }
            request.cancel()
            await #expect(throws: CancellationError.self) { try await request.value }
        }
    }
}
