import Core
import Foundation

/// Quotes from the Coinbase v2 prices API: `GET {baseURL}/BTC-{CCY}/buy`.
struct CoinbasePriceSource: PriceSource {
    let name = "coinbase"
    let client: HTTPClient
    let baseURL: String

    func rate(for currency: Currency) async throws -> ExchangeRate {
        let response: HTTPClientResponse
        do {
            response = try await client.get(
                "\(baseURL)/BTC-\(currency.code)/buy", headers: ["Accept": "application/json"]
            )
            .requireSuccess()
        } catch let error as HTTPClientError {
            throw PriceSourceFailure(error)
        }
        return try CoinbaseQuote.rate(from: response.body, for: currency)
    }
}

/// Strict validation of `{"data":{"amount":"48478.88","base":"BTC","currency":"USD"}}`.
enum CoinbaseQuote {
    private struct Body: Decodable {
        struct Data: Decodable {
            let amount: String
            let base: String
            let currency: String
        }

        let data: Data
    }

    /// The rate in `body`, which must be the quote of BTC in `currency`, with a plain decimal amount in
    /// `ExchangeRate`'s valid range. A JSON number for the amount is refused, so no value passes through a Double.
    static func rate(from body: [UInt8], for currency: Currency) throws(PriceSourceFailure) -> ExchangeRate {
        let quote: Body.Data
        do {
            quote = try JSONDecoder().decode(Body.self, from: Data(body)).data
        } catch let DecodingError.keyNotFound(key, context) {
            throw .malformed("missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .malformed("wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .malformed("null at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw .malformed("not JSON")
        }
        guard quote.base == "BTC" else {
            throw PriceSourceFailure(
                kind: "wrong_base", detail: "base is \(quote.base.prefix(16).debugDescription), not \"BTC\"")
        }
        guard quote.currency == currency.code else {
            throw PriceSourceFailure(
                kind: "wrong_currency",
                detail: "currency is \(quote.currency.prefix(16).debugDescription), not \"\(currency.code)\"")
        }
        do {
            return try ExchangeRate(parsing: quote.amount)
        } catch {
            throw PriceSourceFailure(
                kind: "invalid_amount", detail: "amount \(quote.amount.prefix(32).debugDescription) \(error)")
        }
    }
}
