import Core
import Foundation
import Hummingbird

/// `POST /v1/quotes`: a rate held for the client, for one order in one currency, for `ttl`.
struct QuoteRoutes: Sendable {
    let prices: PriceCache
    let store: QuoteStore
    let ttl: Duration
    let retryAfterSeconds: Int

    func add(to router: ServiceRouter, access: ClientAccess) {
        router.clientRoutes(access, scope: .ordersWrite).post("/v1/quotes", use: create)
    }

    @Sendable func create(_ request: Request, context: ClientRequestContext) async throws -> Response {
        let body = try await JSONRequestBody.collect(request)
        var errors: [Problem.FieldError] = []
        let object = try JSONRequestBody.object(
            Data(body.readableBytesView), contentType: request.headers[.contentType], known: ["currency"],
            what: "the quote request", errors: &errors)
        let currency = JSONRequestBody.currency(object["currency"], errors: &errors)
        guard errors.isEmpty, let currency else { throw Problem.validation(errors) }

        guard let price = prices.freshPrice(for: currency) else {
            throw Problem.unavailable(
                "no fresh \(currency) price is available; no quote was made", retryAfterSeconds: retryAfterSeconds)
        }
        let quote: QuoteCreatedEvent.Quote
        do {
            quote = try await store.create(clientID: context.principal.clientID, price: price, ttl: ttl)
        } catch {
            if let problem = Problem.unavailable(
                for: error, retryAfterSeconds: retryAfterSeconds, consequence: "no quote was made")
            {
                throw problem
            }
            throw error
        }
        return Response.json(quote.responseJSON, status: .created, headers: [.cacheControl: "no-store"])
    }
}
