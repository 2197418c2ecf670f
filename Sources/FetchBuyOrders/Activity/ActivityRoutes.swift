import Core
import Hummingbird

/// `GET /v1/activity`: the calling client's events, newest first, in keyset pages.
struct ActivityRoutes: Sendable {
    let store: ActivityStore

    func register(on router: ServiceRouter, access: ClientAccess) {
        router.clientRoutes(access, scope: .ordersRead).get("/v1/activity") { request, context in
            try await BuyOrderRoutes.answering { try await page(request, client: context.principal.clientID) }
        }
    }

    func page(_ request: Request, client: String) async throws -> Response {
        let activityRequest = try ActivityRequest(query: request.uri.queryParameters)
        let page: ActivityPage
        do {
            page = try await store.page(activityRequest, client: client)
        } catch is UnknownReference {
            throw Problem.validation(field: "last_reference", "is not the id of one of your events")
        }
        return Response.json(Self.json(page))
    }

    /// `{"rows":[<event>…],"last_reference":"<event id>"|null}`; each event is its stored JSON text.
    static func json(_ page: ActivityPage) -> String {
        var text = #"{"rows":["#
        text.reserveCapacity(64 + page.rows.reduce(0) { $0 + $1.utf8.count + 1 })
        text += page.rows.joined(separator: ",")
        text += #"],"last_reference":"#
        text += page.lastReference.map { "\"\($0)\"" } ?? "null"
        text += "}"
        return text
    }
}
