import Core
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Keeps the latest price of every currency, refreshed from btc-price in the background, so an order
/// never waits on an HTTP call. A price older than the maximum age is never handed out.
final class PriceCache: Service, Sendable {
    private let client: BTCPriceClient
    private let maxAge: Duration
    private let interval: Duration
    private let logger: Logger
    private let prices = Mutex<[Currency: Price]>([:])
    /// The last failure logged per currency, so a failure is logged once per change, not per poll.
    private let failures = Mutex<[Currency: String]>([:])

    init(client: BTCPriceClient, maxAge: Duration, interval: Duration, logger: Logger) {
        self.client = client
        self.maxAge = maxAge
        self.interval = interval
        self.logger = logger
    }

    /// The price of `currency` if it is fresh enough to price an order.
    func freshPrice(for currency: Currency, now: Date = Date()) -> Price? {
        guard let price = prices.withLock({ $0[currency] }), price.isFresh(maxAge: maxAge, now: now) else { return nil }
        return price
    }

    /// Currencies without a fresh price.
    func staleCurrencies() -> [Currency] {
        Currency.allCases.filter { freshPrice(for: $0) == nil }
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
            let price = try await client.price(currency)
            prices.withLock { $0[currency] = price }
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
