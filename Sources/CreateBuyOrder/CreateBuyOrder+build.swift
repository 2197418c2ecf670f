import Core
import Hummingbird
import Logging
import Prometheus

/// What `create-buy-order` reads from the environment.
struct CreateBuyOrderSettings: Sendable {
    var server: HTTPServerSettings
    var writeDatabase: DatabaseSettings

    init(server: HTTPServerSettings, writeDatabase: DatabaseSettings) {
        self.server = server
        self.writeDatabase = writeDatabase
    }

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8777)
        self.writeDatabase = try .write(environment)
    }
}

/// Builds the application `main` runs and tests drive.
func buildCreateBuyOrder(settings: CreateBuyOrderSettings, logger: Logger, metrics: PrometheusCollectorRegistry) async throws
    -> some ApplicationProtocol
{
    let writeDatabase = PostgresClient(settings: settings.writeDatabase, logger: logger)
    let router = Router.service(
        checks: [.database("write_db", client: writeDatabase, requires: .writeModel)],
        metrics: metrics
    )
    return Application(
        router: router,
        configuration: ApplicationConfiguration(settings.server, name: "create-buy-order"),
        services: [writeDatabase],
        logger: logger
    )
}
