import Core
import Hummingbird
import Logging
import OpenAPI
import Prometheus
import ServiceLifecycle

/// What `read-model-sync` reads from the environment.
struct ReadModelSyncSettings: Sendable {
    var server: HTTPServerSettings
    var readDatabase: DatabaseSettings
    /// The broker to consume from; nil runs no consumer.
    var amqp: AMQPSettings?
    var topology = AMQPTopology()
    var projection = ProjectionConsumer.Options()

    init(server: HTTPServerSettings, readDatabase: DatabaseSettings, amqp: AMQPSettings? = nil) {
        self.server = server
        self.readDatabase = readDatabase
        self.amqp = amqp
    }

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8780)
        self.readDatabase = try .read(environment)
        self.amqp = try AMQPSettings.from(environment, connectionName: "read-model-sync")
    }
}

/// Builds the application `main` runs and tests drive.
func buildReadModelSync(settings: ReadModelSyncSettings, logger: Logger, metrics: PrometheusCollectorRegistry) async throws
    -> some ApplicationProtocol
{
    let readDatabase = PostgresClient(settings: settings.readDatabase, logger: logger)
    var checks: [ReadinessCheck] = [.database("read_db", client: readDatabase, requires: .readModel)]
    var services: [any Service] = [readDatabase]
    if let amqp = settings.amqp {
        let consumer = ProjectionConsumer(
            database: settings.readDatabase, amqp: amqp, topology: settings.topology, options: settings.projection,
            logger: logger, metrics: PrometheusMetricsFactory(registry: metrics))
        services.append(consumer)
        checks += consumer.status.checks
    }
    return Application(
        router: ServiceRouter(checks: checks, metrics: metrics, openAPI: OpenAPIDocuments.readModelSync),
        server: settings.server, name: "read-model-sync",
        services: services,
        logger: logger
    )
}
