import Core
import Synchronization

/// The latest good quote of each currency, and the latest failure to refresh it.
final class QuoteCache: Sendable {
    private struct Entry {
        var quote: Quote?
        var failure: PriceSourceFailure?
    }

    let maxAge: Duration
    private let entries = Mutex<[Currency: Entry]>([:])

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    func store(_ quote: Quote) {
        entries.withLock { $0[quote.currency] = Entry(quote: quote, failure: nil) }
    }

    func recordFailure(_ failure: PriceSourceFailure, for currency: Currency) {
        entries.withLock { $0[currency, default: Entry()].failure = failure }
    }

    /// The quote if it is at most `maxAge` old, otherwise nil: a stale quote is never served.
    func freshQuote(_ currency: Currency, now: ContinuousClock.Instant = .now) -> Quote? {
        guard let quote = entries.withLock({ $0[currency]?.quote }), now - quote.fetchedAt <= maxAge else { return nil }
        return quote
    }

    func age(_ currency: Currency, now: ContinuousClock.Instant = .now) -> Duration? {
        entries.withLock { $0[currency]?.quote }.map { now - $0.fetchedAt }
    }

    /// Why `currency` has no fresh quote, or nil when it has one.
    func staleness(_ currency: Currency, now: ContinuousClock.Instant = .now) -> String? {
        let entry = entries.withLock { $0[currency] } ?? Entry()
        var reason: String
        if let quote = entry.quote {
            let age = now - quote.fetchedAt
            guard age > maxAge else { return nil }
            reason = "quote is \(age.components.seconds) s old, older than \(maxAge.components.seconds) s"
        } else {
            reason = "no quote yet"
        }
        if let failure = entry.failure { reason += "; last upstream failure: \(failure)" }
        return reason
    }

    /// `/ready` is up for `currency` while it has a fresh quote.
    func readinessCheck(_ currency: Currency) -> ReadinessCheck {
        ReadinessCheck("quote.\(currency.code)") {
            if let reason = self.staleness(currency) { throw NotReady(reason) }
        }
    }
}
