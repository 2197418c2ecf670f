import Core
import Foundation

/// A validated request to buy BTC, as it reaches the write model.
struct OrderRequest: Sendable, Equatable {
    var clientID: String
    var idempotencyKey: UUID
    var currency: Currency
    var amount: FiatAmount

    /// What makes two requests with one key "the same payload".
    var fingerprint: String { "\(currency.code) \(amount)" }
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
    /// The connection broke after COMMIT was sent: the order may or may not be stored. A retry with the
    /// same idempotency key finds out (it replays the order, or makes it).
    case outcomeUnknown
}
