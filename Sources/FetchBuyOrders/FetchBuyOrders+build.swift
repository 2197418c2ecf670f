import Core
import Hummingbird
import Logging
import OpenAPI
import Prometheus

/// What `fetch-buy-orders` reads from the environment.
struct FetchBuyOrdersSettings: Sendable {
    var server: HTTPServerSettings
    var readDatabase: DatabaseSettings
    /// `ANONYMOUS_CLIENT`, `RATE_LIMIT_PER_S`, `RATE_LIMIT_BURST`; keys are checked against the read
    /// model, where read-model-sync projects them.
    var access: AccessSettings
    /// `STREAM_MAX_PER_CLIENT`, `STREAM_BUFFER_EVENTS`.
    var stream: StreamSettings

    init(
        server: HTTPServerSettings, readDatabase: DatabaseSettings, access: AccessSettings = AccessSettings(),
        stream: StreamSettings = StreamSettings()
    ) {
        self.server = server
        self.readDatabase = readDatabase
        self.access = access
        self.stream = stream
    }

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8778)
        // It only reads: READ_DB_URL may name a standby first (`target_session_attrs=prefer-standby`).
        self.readDatabase = try .read(environment, writes: false)
        self.access = try AccessSettings(environment: environment)
        self.stream = try StreamSettings(environment: environment)
    }
}

/// Builds the application `main` runs and tests drive.
func buildFetchBuyOrders(settings: FetchBuyOrdersSettings, logger: Logger, metrics: PrometheusCollectorRegistry) async throws
    -> some ApplicationProtocol
{
    let readDatabase = PostgresClient(settings: settings.readDatabase, logger: logger)
    let router = ServiceRouter(
        checks: [.database("read_db", client: readDatabase, requires: .readModel)],
        metrics: metrics, openAPI: OpenAPIDocuments.fetchBuyOrders
    )
    let access = ClientAccess(settings.access, database: readDatabase)
    BuyOrderRoutes(store: BuyOrderStore(database: readDatabase)).register(on: router, access: access)
    ActivityRoutes(store: ActivityStore(database: readDatabase)).register(on: router, access: access)
    let hub = StreamHub(
        settings: settings.stream, database: settings.readDatabase, logger: logger,
        metrics: PrometheusMetricsFactory(registry: metrics))
    StreamRoutes(hub: hub, database: readDatabase).register(on: router, access: access)
    return Application(
        router: router,
        server: settings.server, name: "fetch-buy-orders",
        services: [readDatabase, hub],
        logger: logger
    )
}
