import Hummingbird
import Logging

/// Lets a request in only with a valid key carrying `scope` (or as `ANONYMOUS_CLIENT`), within its
/// client's rate limit; answers 401, 403, 429 or 503 problems otherwise. Every answer to a request
/// that got in carries the RateLimit fields of the IETF draft "RateLimit header fields for HTTP".
/// The key itself never reaches a log line: logs name the key id.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = ClientRequestContext

    let access: ClientAccess
    let scope: APIScope

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let principal: Principal
        do {
            principal = try await access.authenticator.authenticate(authorization: request.headers[.authorization])
        } catch {
            throw refusal(error, context: context)
        }
        guard principal.scopes.contains(scope) else {
            throw Problem(
                status: .forbidden, type: "forbidden", title: "Forbidden",
                detail: "this API key lacks the scope \(scope) this route needs",
                headers: [.wwwAuthenticate: #"Bearer realm="buyorders", error="insufficient_scope", scope="\#(scope)""#])
        }
        let (limit, decision) = access.limiter.take(client: principal.clientID, limit: principal.rateLimit)
        let fields = Self.rateLimitFields(limit, decision)
        guard decision.allowed else {
            var headers = fields
            headers[.retryAfter] = "\(max(1, decision.secondsUntilNext))"
            throw Problem(
                status: .tooManyRequests, type: "rate-limited", title: "Too many requests",
                detail: "client \(principal.clientID) is over its rate limit (\(limit)); retry after the Retry-After seconds",
                headers: headers)
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "client.id"] = .string(principal.clientID)
        if let keyID = principal.keyID { context.logger[metadataKey: "api_key.id"] = .string(keyID) }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: fields)
            return response
        } catch var problem as Problem {
            problem.headers.append(contentsOf: fields)
            throw problem
        }
    }

    private func refusal(_ failure: AuthenticationFailure, context: Context) -> Problem {
        let challenge = #"Bearer realm="buyorders""#
        switch failure {
        case .missing:
            return Self.unauthorized("send an API key: Authorization: Bearer bo_<key id>_<secret>", challenge)
        case .malformed:
            return Self.unauthorized(
                "the Authorization header is not a BuyOrders API key (Bearer bo_<key id>_<secret>)",
                challenge + #", error="invalid_token""#)
        case .invalid(let reason):
            context.logger.info("api key refused", metadata: ["reason": "\(reason)"])
            return Self.unauthorized("the API key is unknown or revoked", challenge + #", error="invalid_token""#)
        case .unavailable:
            return Problem.unavailable("API keys cannot be checked right now", retryAfterSeconds: 1)
        }
    }

    private static func unauthorized(_ detail: String, _ challenge: String) -> Problem {
        Problem(
            status: .unauthorized, type: "unauthorized", title: "Unauthorized", detail: detail,
            headers: [.wwwAuthenticate: challenge])
    }

    /// `RateLimit-Policy: "client";q=<burst>;w=<seconds to refill a burst>` and
    /// `RateLimit: "client";r=<tokens left>;t=<seconds until the bucket is full>`.
    static func rateLimitFields(_ limit: RateLimit, _ decision: TokenBucket.Decision) -> HTTPFields {
        let window = (limit.burst * 1000 + limit.milliPerSecond - 1) / limit.milliPerSecond
        return [
            .rateLimitPolicy: #""client";q=\#(limit.burst);w=\#(max(1, window))"#,
            .rateLimit: #""client";r=\#(decision.remaining);t=\#(decision.secondsUntilFull)"#,
        ]
    }
}
