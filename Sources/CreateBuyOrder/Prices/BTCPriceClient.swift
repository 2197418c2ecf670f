import Core
import Foundation

/// Fetches prices from btc-price (`GET {BTC_PRICE_URL}/v1/price?currency=…`) over the libcurl client,
/// validating each answer strictly.
struct BTCPriceClient: Sendable {
    let baseURL: URL
    let http: HTTPClient

    struct InvalidAnswer: Error, CustomStringConvertible {
        let description: String
    }

    func price(_ currency: Currency) async throws -> Price {
        let url = baseURL.appendingPathComponent("v1/price").absoluteString + "?currency=\(currency.code)"
        let response = try await http.get(url, headers: ["Accept": "application/json"])
        guard response.status == 200 else {
            throw InvalidAnswer(description: "btc-price answered \(response.status) for \(currency)")
        }
        return try Self.parse(Data(response.body), expecting: currency)
    }

    private struct Body: Decodable {
        let currency: String
        let rate: ExchangeRate
        let quotedAt: String
        let source: String

        enum CodingKeys: String, CodingKey {
            case currency, rate, source
            case quotedAt = "quoted_at"
        }
    }

    static func parse(_ data: Data, expecting currency: Currency) throws -> Price {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: data)
        } catch {
            throw InvalidAnswer(description: "btc-price sent an invalid quote for \(currency): \(error)")
        }
        guard body.currency == currency.code else {
            throw InvalidAnswer(description: "btc-price sent a \(body.currency) quote when asked for \(currency)")
        }
        guard let quotedAt = RFC3339Timestamp(parsing: body.quotedAt[...])?.date else {
            throw InvalidAnswer(description: "btc-price sent an unreadable quoted_at: \(body.quotedAt)")
        }
        return Price(currency: currency, rate: body.rate, source: body.source, quotedAtText: body.quotedAt, quotedAt: quotedAt)
    }
}
