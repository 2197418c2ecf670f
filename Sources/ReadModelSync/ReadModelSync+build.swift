import Core
import Hummingbird
import Logging
import Prometheus

/// What `read-model-sync` reads from the environment.
struct ReadModelSyncSettings: Sendable {
    var server: HTTPServerSettings
    var readDatabase: DatabaseSettings

    init(server: HTTPServerSettings, readDatabase: DatabaseSettings) {
        self.server = server
        self.readDatabase = readDatabase
    }

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8780)
        self.readDatabase = try .read(environment)
    }
}

/// Builds the application `main` runs and tests drive.
func buildReadModelSync(settings: ReadModelSyncSettings, logger: Logger, metrics: PrometheusCollectorRegistry) async throws
    -> some ApplicationProtocol
{
    let readDatabase = PostgresClient(settings: settings.readDatabase, logger: logger)
    let router = Router.service(
        checks: [.database("read_db", client: readDatabase, requires: .readModel)],
        metrics: metrics
    )
    return Application(
        router: router,
        configuration: ApplicationConfiguration(settings.server, name: "read-model-sync"),
        services: [readDatabase],
        logger: logger
    )
}
