import Core
import Foundation

/// One cached price: what the source said, which source, and when it was fetched.
struct Quote: Sendable, Equatable {
    let currency: Currency
    let rate: ExchangeRate
    let source: String
    /// Wall-clock time of the fetch, as clients see it.
    let quotedAt: Date
    /// Monotonic time of the fetch, for the age check.
    let fetchedAt: ContinuousClock.Instant

    /// `{"currency":"USD","rate":"48478.88","quoted_at":"…","source":"coinbase"}`; every value is a
    /// fixed token (a code, a decimal, a timestamp, a source name), so none needs escaping.
    var json: String {
        let quotedAt = quotedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        return #"{"currency":"\#(currency.code)","rate":"\#(rate)","quoted_at":"\#(quotedAt)","source":"\#(source)"}"#
    }
}
