import Core
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Refreshes each currency's quote from the source every `interval`, one loop per currency so a slow
/// currency never delays another. Only a valid quote reaches the cache.
struct PricePoller: Service, CustomStringConvertible {
    let source: any PriceSource
    let cache: QuoteCache
    let interval: Duration
    let logger: Logger
    let metrics: PricePollerMetrics

    var description: String { "PricePoller(\(source.name))" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for currency in Currency.allCases {
                    group.addTask { await poll(currency) }
                }
            }
        }
    }

    private func poll(_ currency: Currency) async {
        let clock = ContinuousClock()
        var health = SourceHealth()
        var next = clock.now
        while !Task.isCancelled {
            await refresh(currency, health: &health)
            next = max(next + interval, clock.now)
            do {
                try await Task.sleep(until: next, clock: clock)
            } catch {
                return
            }
        }
    }

    private func refresh(_ currency: Currency, health: inout SourceHealth) async {
        var logger = logger
        logger[metadataKey: "price.currency"] = "\(currency.code)"
        logger[metadataKey: "price.source"] = "\(source.name)"
        do {
            let rate = try await source.rate(for: currency)
            cache.store(
                Quote(currency: currency, rate: rate, source: source.name, quotedAt: Date(), fetchedAt: .now))
            logger.trace("quote refreshed", metadata: ["price.rate": "\(rate)"])
            switch health.succeeded() {
            case .firstQuote: logger.info("first quote", metadata: ["price.rate": "\(rate)"])
            case .recovered(let polls):
                logger.info("price source recovered", metadata: ["price.failed_polls": "\(polls)"])
            case .failing, nil: break
            }
        } catch {
            if Task.isCancelled { return }
            let failure =
                error as? PriceSourceFailure ?? PriceSourceFailure(kind: "other", detail: String(reflecting: error))
            cache.recordFailure(failure, for: currency)
            metrics.failed(currency, kind: failure.kind)
            logger.debug(
                "price poll failed", metadata: ["error.kind": "\(failure.kind)", "error.detail": "\(failure.detail)"])
            if case .failing = health.failed(kind: failure.kind) {
                logger.warning(
                    "price source failing",
                    metadata: ["error.kind": "\(failure.kind)", "error.detail": "\(failure.detail)"])
            }
        }
        if let age = cache.age(currency) { metrics.recordAge(currency, age) }
    }
}

/// The poller's metrics: quote age per currency, upstream failures per currency and kind.
struct PricePollerMetrics: Sendable {
    private let ages: [Currency: Gauge]
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.ages = Dictionary(
            uniqueKeysWithValues: Currency.allCases.map { currency in
                (
                    currency,
                    Gauge(
                        label: "btc_price_quote_age_seconds", dimensions: [("currency", currency.code)],
                        factory: factory)
                )
            })
    }

    func recordAge(_ currency: Currency, _ age: Duration) {
        ages[currency]?.record(age / .seconds(1))
    }

    func failed(_ currency: Currency, kind: String) {
        Counter(
            label: "btc_price_upstream_failures_total", dimensions: [("currency", currency.code), ("reason", kind)],
            factory: factory
        ).increment()
    }
}
