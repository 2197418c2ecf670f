import Core
import Foundation
import Hummingbird

/// `GET /buy_orders` (pages) and `GET /buy_orders/{id}`, each also under `/v1`.
struct BuyOrderRoutes: Sendable {
    let store: BuyOrderStore

    func register(on router: ServiceRouter, access: ClientAccess) {
        let orders = router.clientRoutes(access, scope: .ordersRead)
        for prefix in ["", "/v1"] {
            orders.get("\(prefix)/buy_orders") { request, context in
                try await Self.answering { try await page(request, client: context.principal.clientID) }
            }
            orders.get("\(prefix)/buy_orders/:id") { request, context in
                try await Self.answering {
                    try await order(id: context.parameters.get("id") ?? "", client: context.principal.clientID)
                }
            }
        }
    }

    /// Runs a handler; a database that cannot answer now (or a shutdown) is a 503 with `Retry-After`,
    /// not a 500, and is not logged per request (the client logs each change of reachability once).
    static func answering(_ handler: () async throws -> Response) async throws -> Response {
        do {
            return try await handler()
        } catch {
            if let problem = Problem.unavailable(for: error) { throw problem }
            throw error
        }
    }

    func page(_ request: Request, client: String) async throws -> Response {
        let pageRequest = try PageRequest(query: request.uri.queryParameters)
        let page: BuyOrderPage
        do {
            page = try await store.page(pageRequest, client: client)
        } catch is UnknownReference {
            throw Problem.validation(field: "last_reference", "is not the id of one of your orders")
        }
        return Response.json(Self.json(page))
    }

    func order(id text: String, client: String) async throws -> Response {
        guard let id = UUID(text: text) else {
            throw Problem.validation(field: "id", "must be a UUID")
        }
        guard let order = try await store.order(id: id, client: client) else {
            throw Problem.notFound("No buy order \(id.postgresText).")
        }
        return Response.json(order.json)
    }

    /// `{"rows":[…],"last_reference":"<uuid>"|null}`
    static func json(_ page: BuyOrderPage) -> String {
        var text = #"{"rows":["#
        text.reserveCapacity(64 + page.rows.count * 220)
        for (index, order) in page.rows.enumerated() {
            if index > 0 { text += "," }
            order.write(into: &text)
        }
        text += #"],"last_reference":"#
        text += page.lastReference.map { "\"\($0)\"" } ?? "null"
        text += "}"
        return text
    }
}
