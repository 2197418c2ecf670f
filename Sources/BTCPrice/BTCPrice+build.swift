import Core
import Foundation
import Hummingbird
import Logging
import OpenAPI
import Prometheus
import ServiceLifecycle

/// What `btc-price` reads from the environment.
struct BTCPriceSettings: Sendable {
    enum Source: String, Sendable, CaseIterable {
        case coinbase
        case simulated
    }

    static let defaultSourceURL = "https://api.coinbase.com/v2/prices"

    var server: HTTPServerSettings
    var source: Source
    /// The prices API without a trailing slash; a quote is at `{sourceURL}/BTC-{CCY}/buy`.
    var sourceURL: String
    /// A quote older than this is never served.
    var maxAge: Duration
    var pollInterval: Duration
    /// Limits on every upstream request: bounded connect and total time, a 64 KiB body.
    var upstream = HTTPClientConfiguration(
        connectTimeout: .seconds(2), timeout: .seconds(3), maxResponseSize: 64 * 1024,
        maxConcurrentRequests: Currency.allCases.count, userAgent: "btc-price")

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8779)
        let source = try environment.choice(
            "PRICE_SOURCE", default: Source.coinbase.rawValue, among: Source.allCases.map(\.rawValue))
        self.source = Source(rawValue: source) ?? .coinbase
        let url = try environment.url("PRICE_SOURCE_URL", default: Self.defaultSourceURL, schemes: ["https", "http"])
        self.sourceURL = String(url.absoluteString.reversed().drop { $0 == "/" }.reversed())
        let maxAgeSeconds = try environment.integer("PRICE_MAX_AGE_S", default: 10, in: 1...3600)
        self.maxAge = .seconds(maxAgeSeconds)
        // A poll at least twice per maximum age by default, and never slower than the maximum age.
        self.pollInterval = .milliseconds(
            try environment.integer(
                "PRICE_POLL_INTERVAL_MS", default: min(1000, maxAgeSeconds * 500), in: 50...(maxAgeSeconds * 1000 - 1)))
    }
}

/// Builds the application `main` runs and tests drive.
func buildBTCPrice(settings: BTCPriceSettings, logger: Logger, metrics: PrometheusCollectorRegistry) async throws
    -> some ApplicationProtocol
{
    let cache = QuoteCache(maxAge: settings.maxAge)
    var services: [any Service] = []
    let source: any PriceSource
    switch settings.source {
    case .coinbase:
        let client = try HTTPClient(configuration: settings.upstream)
        services.append(client)
        source = CoinbasePriceSource(client: client, baseURL: settings.sourceURL)
    case .simulated:
        source = SimulatedPriceSource()
    }
    services.append(
        PricePoller(
            source: source, cache: cache, interval: settings.pollInterval, logger: logger,
            metrics: PricePollerMetrics(factory: PrometheusMetricsFactory(registry: metrics))))

    let router = ServiceRouter(
        checks: Currency.allCases.map(cache.readinessCheck), metrics: metrics, openAPI: OpenAPIDocuments.btcPrice)
    router.addPriceRoutes(cache: cache, retryAfter: settings.pollInterval)
    return Application(
        router: router,
        server: settings.server, name: "btc-price",
        services: services,
        logger: logger
    )
}
