import Core
import Foundation
import Hummingbird
import Logging
import OpenAPI
import Prometheus
import ServiceLifecycle

/// What `create-buy-order` reads from the environment.
struct CreateBuyOrderSettings: Sendable {
    var server: HTTPServerSettings
    var writeDatabase: DatabaseSettings
    var btcPriceURL: URL
    var priceMaxAge: Duration
    var pricePollInterval: Duration
    /// `WRITE_BATCH_MAX`, `WRITE_QUEUE_MAX`, `WRITE_QUEUE_TIMEOUT_MS`.
    var writer: OrderWriter.Limits
    /// `ANONYMOUS_CLIENT`, `RATE_LIMIT_PER_S`, `RATE_LIMIT_BURST`.
    var access: AccessSettings
    /// `QUOTE_TTL_S`: how long a quote holds its rate.
    var quoteTTL = Duration.seconds(30)
    /// `IDEMPOTENCY_KEY_RETENTION_H`, and how the purge of older keys runs.
    var keyPurge = IdempotencyKeyPurge.Settings()
    /// The broker the outbox relay publishes to; nil runs no relay (events stay in the outbox).
    var amqp: AMQPSettings?
    var topology = AMQPTopology()

    init(
        server: HTTPServerSettings, writeDatabase: DatabaseSettings, btcPriceURL: URL,
        priceMaxAge: Duration = .seconds(10), pricePollInterval: Duration = .seconds(1),
        writer: OrderWriter.Limits = OrderWriter.Limits(), access: AccessSettings = AccessSettings(),
        amqp: AMQPSettings? = nil
    ) {
        self.access = access
        self.amqp = amqp
        self.server = server
        self.writeDatabase = writeDatabase
        self.btcPriceURL = btcPriceURL
        self.priceMaxAge = priceMaxAge
        self.pricePollInterval = pricePollInterval
        self.writer = writer
    }

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8777)
        self.writeDatabase = try .write(environment)
        self.btcPriceURL = try environment.url("BTC_PRICE_URL", default: "http://127.0.0.1:8779", schemes: ["http", "https"])
        self.priceMaxAge = .seconds(try environment.integer("PRICE_MAX_AGE_S", default: 10, in: 1...3600))
        self.pricePollInterval = .milliseconds(try environment.integer("PRICE_POLL_INTERVAL_MS", default: 1000, in: 50...60000))
        var writer = OrderWriter.Limits()
        writer.maxBatchSize = try environment.integer("WRITE_BATCH_MAX", default: writer.maxBatchSize, in: 1...4096)
        writer.maxQueued = try environment.integer("WRITE_QUEUE_MAX", default: writer.maxQueued, in: 1...1_000_000)
        writer.queueTimeout = .milliseconds(
            try environment.integer(
                "WRITE_QUEUE_TIMEOUT_MS", default: Int(writer.queueTimeout / .milliseconds(1)), in: 100...60_000))
        self.writer = writer
        self.access = try AccessSettings(environment: environment)
        self.quoteTTL = .seconds(try environment.integer("QUOTE_TTL_S", default: 30, in: 1...3600))
        self.keyPurge.retention = .seconds(
            3600 * (try environment.integer("IDEMPOTENCY_KEY_RETENTION_H", default: 168, in: 1...87_600)))
        self.amqp = try AMQPSettings.from(environment, connectionName: "create-buy-order")
    }
}

/// Builds the application `main` runs and tests drive.
func buildCreateBuyOrder(settings: CreateBuyOrderSettings, logger: Logger, metrics: PrometheusCollectorRegistry)
    async throws -> some ApplicationProtocol
{
    let writeDatabase = PostgresClient(settings: settings.writeDatabase, logger: logger)
    let http = try HTTPClient(
        configuration: HTTPClientConfiguration(connectTimeout: .seconds(1), timeout: .seconds(2), maxResponseSize: 64 * 1024))
    let prices = PriceCache(
        client: BTCPriceClient(baseURL: settings.btcPriceURL, http: http), maxAge: settings.priceMaxAge,
        interval: settings.pricePollInterval, logger: logger)
    let writer = OrderWriter(database: writeDatabase, limits: settings.writer, logger: logger)

    let router = ServiceRouter(
        checks: [
            .database("write_db", client: writeDatabase, requires: .writeModel),
            ReadinessCheck("order_writer") {
                if let problem = writer.problem { throw NotReady(problem) }
            },
            ReadinessCheck("btc_price") {
                let stale = prices.staleCurrencies()
                guard stale.isEmpty else {
                    throw NotReady("no fresh quote for \(stale.map(\.code).joined(separator: ", "))")
                }
            },
        ],
        metrics: metrics, openAPI: OpenAPIDocuments.createBuyOrder
    )
    let access = ClientAccess(settings.access, database: writeDatabase)
    BuyOrderRoutes(prices: prices, writer: writer).add(to: router, access: access)
    QuoteRoutes(prices: prices, store: QuoteStore(database: writeDatabase), ttl: settings.quoteTTL, retryAfterSeconds: 1)
        .add(to: router, access: access)
    // Shutdown runs in reverse: the HTTP server drains first, then the writer writes what is queued, and
    // only then the relay stops, so the last orders' events are published before the process exits.
    var services: [any Service] = [
        writeDatabase, http, prices,
        IdempotencyKeyPurge(
            database: writeDatabase, settings: settings.keyPurge, logger: logger,
            metrics: PrometheusMetricsFactory(registry: metrics)),
    ]
    if let amqp = settings.amqp {
        services.append(
            OutboxRelay(
                database: settings.writeDatabase, amqp: amqp, topology: settings.topology, logger: logger,
                metrics: PrometheusMetricsFactory(registry: metrics)))
    }
    services.append(writer)
    return Application(
        router: router,
        server: settings.server, name: "create-buy-order",
        services: services,
        logger: logger
    )
}
