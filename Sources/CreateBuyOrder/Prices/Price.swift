import Core
import Foundation

/// A BTC price from btc-price, with when it was quoted upstream.
struct Price: Sendable, Equatable {
    var currency: Currency
    var rate: ExchangeRate
    var source: String
    /// RFC 3339, as btc-price sent it; stored with the order.
    var quotedAtText: String
    var quotedAt: Date

    /// True while the price is no older than `maxAge` at `now`.
    func isFresh(maxAge: Duration, now: Date = Date()) -> Bool {
        now <= quotedAt.addingTimeInterval(TimeInterval(maxAge.components.seconds))
    }
}
