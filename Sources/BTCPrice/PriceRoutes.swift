import Core
import Hummingbird

extension ServiceRouter {
    /// `GET /v1/price?currency=USD`: the cached quote while fresh, otherwise 503 with `Retry-After`.
    func addPriceRoutes(cache: QuoteCache, retryAfter: Duration) {
        let retryAfterSeconds = max(
            1, Int(retryAfter.components.seconds) + (retryAfter.components.attoseconds > 0 ? 1 : 0))
        get("/v1/price") { request, _ in
            let currency = try Self.currency(request.uri.queryParameters.getAll("currency"))
            guard let quote = cache.freshQuote(currency) else {
                throw Problem.unavailable(
                    "No \(currency.code) quote younger than \(cache.maxAge.components.seconds) s; the price source is being retried.",
                    retryAfterSeconds: retryAfterSeconds)
            }
            return Response.json(quote.json, headers: [.cacheControl: "no-store"])
        }
    }

    private static func currency(_ values: [String]) throws(Problem) -> Currency {
        guard values.count == 1, let value = values.first else {
            throw .validation(field: "currency", values.isEmpty ? "is required" : "must be given once")
        }
        guard let currency = Currency(code: value) else {
            throw .validation(field: "currency", "must be one of \(Currency.codes)")
        }
        return currency
    }
}
