import Foundation
import Hummingbird
import Logging

/// Turns every error into a problem body: Hummingbird's own HTTP errors keep their status,
/// anything unexpected is logged with a reference id and answered with a generic 500.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            throw Problem(status: error.status, detail: error.body, headers: error.headers)
        } catch {
            let reference = UUID.random().lowercaseText
            context.logger.error(
                "unexpected error",
                metadata: [
                    "error.reference": "\(reference)", "error.type": "\(type(of: error))",
                    "error.detail": "\(String(reflecting: error))", "http.route": "\(request.uri.path)",
                ])
            throw Problem.internalError(reference: reference)
        }
    }
}
