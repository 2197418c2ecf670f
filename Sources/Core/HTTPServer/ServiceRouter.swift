import Hummingbird
import Logging
import Prometheus

/// The router every service builds on: Hummingbird's router with what every service shares (problem
/// bodies for every error, request metrics, a debug log line per request, `/health`, `/ready`,
/// `/metrics` and `/openapi.yaml`), and what Hummingbird leaves out: it remembers each path and its
/// methods, so that an unsupported method on a known path is a 405 problem with `Allow`, and every
/// GET route also answers HEAD.
public final class ServiceRouter: RouterMethods, HTTPResponderBuilder {
    public typealias Context = BasicRequestContext

    /// The methods a known path answers with 405 when it does not support them: those of RFC 9110
    /// but CONNECT, PATCH (RFC 5789) and QUERY (the httpbis safe-method draft).
    static let refusedMethods: [HTTPRequest.Method] = [
        .get, .head, .post, .put, .delete, .patch, .options, .trace, .query,
    ]

    private let router = Router()
    /// Every path registered, in registration order, with its methods.
    private var routes: [(path: RouterPath, methods: [HTTPRequest.Method])] = []
    private var isBuilt = false

    /// A router with the shared middleware and routes; `openAPI` is the service's document, served at
    /// `GET /openapi.yaml`.
    public init(checks: [ReadinessCheck], metrics: PrometheusCollectorRegistry, openAPI: [UInt8]) {
        router.add(middleware: HeadMiddleware())
        router.add(middleware: RequestMetricsMiddleware(factory: PrometheusMetricsFactory(registry: metrics)))
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ProblemMiddleware())
        addOperationalRoutes(checks: checks, metrics: metrics)
        get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
        }
    }

    @discardableResult
    public func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder)
        -> Self where Responder.Context == Context
    {
        precondition(!isBuilt, "a route was added after the router was built")
        if let index = routes.firstIndex(where: { $0.path == path }) {
            routes[index].methods.append(method)
        } else {
            routes.append((path, [method]))
        }
        router.on(path, method: method, responder: responder)
        // HEAD runs the GET handler; HeadMiddleware drops the body of its answer.
        if method == .get { router.on(path, method: .head, responder: responder) }
        return self
    }

    @discardableResult
    public func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// Adds a 405 answer for every method each path does not support, then builds Hummingbird's responder.
    public func buildResponder() -> RouterResponder<Context> {
        if !isBuilt {
            isBuilt = true
            for (path, methods) in routes {
                let allowed = Self.allowed(methods)
                let allow = allowed.map(\.rawValue).joined(separator: ", ")
                for method in Self.refusedMethods where !allowed.contains(method) {
                    router.on(path, method: method) { request, _ -> Response in
                        throw Problem.methodNotAllowed(request.method, path: request.uri.path, allow: allow)
                    }
                }
            }
        }
        return router.buildResponder()
    }

    /// The methods a path answers, in the order of `refusedMethods` (HEAD wherever GET is).
    static func allowed(_ methods: [HTTPRequest.Method]) -> [HTTPRequest.Method] {
        let answered = Set(methods + (methods.contains(.get) ? [.head] : []))
        return refusedMethods.filter(answered.contains) + methods.filter { !refusedMethods.contains($0) }
    }
}

extension Problem {
    /// The 405 for a method `path` does not support, with the `Allow` field RFC 9110 requires.
    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allow: String) -> Problem {
        Problem(
            status: .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
            detail: "\(method.rawValue) is not supported on \(path); allowed: \(allow)", headers: [.allow: allow])
    }
}

/// Answers HEAD with the head of what GET would answer, and no body, also when the answer is a problem:
/// the HTTP encoder refuses a body on a response to HEAD.
struct HeadMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard request.method == .head else { return try await next(request, context) }
        do {
            return try await next(request, context).createHeadResponse()
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context).createHeadResponse()
        }
    }
}
