import Core
import Hummingbird
import Logging
import Prometheus

/// What `btc-price` reads from the environment.
struct BTCPriceSettings: Sendable {
    var server: HTTPServerSettings

    init(environment: EnvironmentReader) throws {
        self.server = try HTTPServerSettings(environment: environment, defaultPort: 8779)
    }
}

/// Builds the application `main` runs and tests drive.
func buildBTCPrice(settings: BTCPriceSettings, logger: Logger, metrics: PrometheusCollectorRegistry) async throws
    -> some ApplicationProtocol
{
    let router = Router.service(checks: [], metrics: metrics)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(settings.server, name: "btc-price"),
        logger: logger
    )
}
