import Core
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Keeps the latest quote of every currency, refreshed from btc-price in the background, so an order
/// never waits on an HTTP call. A quote older than the maximum age is never handed out.
final class QuoteCache: Service, Sendable {
    private let client: BTCPriceClient
    private let maxAge: Duration
    private let interval: Duration
    private let logger: Logger
    private let quotes = Mutex<[Currency: Quote]>([:])
    /// The last failure logged per currency, so a failure is logged once per change, not per poll.
    private let failures = Mutex<[Currency: String]>([:])

    init(client: BTCPriceClient, maxAge: Duration, interval: Duration, logger: Logger) {
        self.client = client
        self.maxAge = maxAge
        self.interval = interval
        self.logger = logger
    }

    /// The quote for `currency` if it is fresh enough to price an order.
    func freshQuote(for currency: Currency, now: Date = Date()) -> Quote? {
        guard let quote = quotes.withLock({ $0[currency] }), quote.isFresh(maxAge: maxAge, now: now) else { return nil }
        return quote
    }

    /// Currencies without a fresh quote.
    func staleCurrencies() -> [Currency] {
        Currency.allCases.filter { freshQuote(for: $0) == nil }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refreshAll()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    func refreshAll() async {
        await withTaskGroup(of: Void.self) { group in
            for currency in Currency.allCases {
                group.addTask { await self.refresh(currency) }
            }
        }
    }

    private func refresh(_ currency: Currency) async {
        do {
            let quote = try await client.quote(currency)
            quotes.withLock { $0[currency] = quote }
            if failures.withLock({ $0.removeValue(forKey: currency) }) != nil {
                logger.info("btc-price quotes recovered", metadata: ["currency": "\(currency)"])
            }
        } catch is CancellationError {
            return
        } catch {
            let reason = "\(error)"
            let changed = failures.withLock { failures in
                defer { failures[currency] = reason }
                return failures[currency] != reason
            }
            if changed {
                logger.warning("btc-price quote failed", metadata: ["currency": "\(currency)", "error.detail": "\(reason)"])
            }
            Counter(label: "quote_refresh_failures_total", dimensions: [("currency", currency.code)]).increment()
        }
    }
}
