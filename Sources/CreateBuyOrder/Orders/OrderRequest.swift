import Core
import Foundation

/// A validated request to buy BTC, as it reaches the write model.
struct OrderRequest: Sendable, Equatable {
    var clientID: String
    var idempotencyKey: UUID
    var currency: Currency
    var amount: FiatAmount
    /// The quote whose rate the order is to take; nil takes the market price.
    var quoteID: UUID?

    init(clientID: String, idempotencyKey: UUID, currency: Currency, amount: FiatAmount, quoteID: UUID? = nil) {
        self.clientID = clientID
        self.idempotencyKey = idempotencyKey
        self.currency = currency
        self.amount = amount
        self.quoteID = quoteID
    }

    /// What makes two requests with one key "the same payload".
    var fingerprint: String {
        guard let quoteID else { return "\(currency.code) \(amount)" }
        return "\(currency.code) \(amount) quote \(quoteID.lowercaseText)"
    }
}

/// What became of one request.
enum OrderOutcome: Sendable, Equatable {
    case created(StoredBuyOrder)
    /// The key was seen before with the same payload: the first order.
    case replayed(StoredBuyOrder)
    /// The key was seen before with another payload.
    case keyReused
    /// The order would push the BTC sold past the limit; `available` is what is left.
    case limitExceeded(available: BTCAmount)
    case noFreshQuote
    /// The quote is not one of the client's, or is for another currency.
    case quoteRefused(QuoteRefusal)
    /// Another order was made from the quote.
    case quoteUsed
    /// The quote expired before the order's transaction; `expiresAt` is RFC 3339.
    case quoteExpired(expiresAt: String)
    /// The connection broke after COMMIT was sent: the order may or may not be stored. A retry with the
    /// same idempotency key finds out (it replays the order, or makes it).
    case outcomeUnknown
}

/// Why a quote cannot price an order at all (a 422 naming `quote_id`).
enum QuoteRefusal: Sendable, Equatable {
    /// No quote has the id, or another client's has: the two are not told apart.
    case unknown
    case otherCurrency(Currency)
}
