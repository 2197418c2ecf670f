import Hummingbird

/// The context of a business route: the router's context plus who the request acts for, set by
/// `AuthMiddleware` before the handler runs.
public struct ClientRequestContext: RequestContext {
    public typealias Source = BasicRequestContext
    public var coreContext: CoreRequestContextStorage
    private var accepted: Principal?

    /// Keeps the router's context whole: `CoreRequestContextStorage(source:)` would start with no route
    /// parameters and no endpoint path.
    public init(source: BasicRequestContext) {
        self.coreContext = source.coreContext
    }

    /// The accepted principal; only `AuthMiddleware` sets it, and every business route sits behind it.
    public var principal: Principal {
        get {
            guard let accepted else { preconditionFailure("a business route was registered without AuthMiddleware") }
            return accepted
        }
        set { accepted = newValue }
    }
}

extension RouterMethods where Context == BasicRequestContext {
    /// Routes that need a key with `scope`: authenticated, scope-checked and rate-limited first.
    public func clientRoutes(_ access: ClientAccess, scope: APIScope) -> RouterGroup<ClientRequestContext> {
        group(context: ClientRequestContext.self).add(middleware: AuthMiddleware(access: access, scope: scope))
    }
}
