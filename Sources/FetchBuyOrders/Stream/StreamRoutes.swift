import Core
import HTTPTypes
import Hummingbird
import Logging

/// `GET /v1/buy_orders/stream`: Server-Sent Events, one `buy_order` event per new order of the client.
struct StreamRoutes: Sendable {
    let hub: StreamHub
    /// For streams that resume: their client's orders from where they left off.
    let database: PostgresClient

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func register(on router: ServiceRouter, access: ClientAccess) {
        router.clientRoutes(access, scope: .ordersRead).get("/v1/buy_orders/stream") { request, context in
            try open(request, client: context.principal.clientID, logger: context.logger)
        }
    }

    func open(_ request: Request, client: String, logger: Logger) throws -> Response {
        let streamRequest = try StreamRequest(
            query: request.uri.queryParameters, lastEventID: request.headers[Self.lastEventID])
        let subscriber: StreamSubscriber
        let registered: StreamPosition
        do {
            (subscriber, registered) = try hub.register(client: client, currency: streamRequest.currency)
        } catch StreamHub.Refusal.notReady {
            throw Problem.unavailable("the stream is not available yet: the read database has not answered", retryAfterSeconds: 1)
        } catch StreamHub.Refusal.tooManyStreams(let limit) {
            throw Problem(
                status: .tooManyRequests, type: "too-many-streams", title: "Too many streams",
                detail: "client \(client) has \(limit) streams open on this instance, the most it may have; close one first",
                headers: [.retryAfter: "5"])
        }
        let session = StreamSession(
            hub: hub, database: database, subscriber: subscriber, registered: registered, resume: streamRequest.resume,
            logger: logger)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store", Self.accelBuffering: "no"],
            body: ResponseBody { writer in try await session.run(&writer) })
    }

    /// Tells nginx-style proxies not to buffer the stream.
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
