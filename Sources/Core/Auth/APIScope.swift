/// What a key may do (DESIGN.md, Clients and API keys): `orders:write` creates orders and quotes,
/// `orders:read` reads lists, single orders, streams and activity.
public enum APIScope: String, CaseIterable, Sendable, Hashable, Comparable, CustomStringConvertible {
    case ordersRead = "orders:read"
    case ordersWrite = "orders:write"

    public var description: String { rawValue }

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Every scope, sorted, comma-separated: "orders:read,orders:write".
    public static func text(_ scopes: Set<APIScope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }

    /// A comma-separated list of scope names, at least one, each known; nil otherwise.
    public static func parseList(_ text: String) -> Set<APIScope>? {
        let names = text.split(separator: ",", omittingEmptySubsequences: false)
        var scopes: Set<APIScope> = []
        for name in names {
            guard let scope = APIScope(rawValue: String(name)) else { return nil }
            scopes.insert(scope)
        }
        return scopes.isEmpty ? nil : scopes
    }
}
