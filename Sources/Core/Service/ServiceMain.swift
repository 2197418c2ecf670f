import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The shared body of every long-running executable's `main`.
public enum ServiceMain {
    /// How long a SIGTERM or SIGINT may take to drain before work is cancelled: longer than the longest
    /// bounded wait of a request (the writer's queue timeout plus a batch bounded by the statement and
    /// lock timeouts; a connect timeout), so a drain during a stalled query or an outage still finishes.
    public static let gracefulShutdownLimit = Duration.seconds(10)
    /// How long cancelled work may take to end; past it ServiceLifecycle stops the process (exit 132).
    public static let cancellationLimit = Duration.seconds(3)

    /// Reads settings (a bad value prints one line naming it and exits 2), bootstraps JSON logging and
    /// Prometheus metrics, builds the application and runs it until SIGTERM or SIGINT. A HOST or PORT
    /// it cannot listen on is one line naming the variable and exit 2, too.
    public static func run<Settings: Sendable>(
        service: String,
        settings readSettings: @Sendable (EnvironmentReader) throws -> Settings,
        server: @Sendable (Settings) -> HTTPServerSettings,
        build: @Sendable (Settings, Logger, PrometheusCollectorRegistry) async throws -> any ApplicationProtocol
    ) async {
        let settings: Settings
        do {
            settings = try readSettings(EnvironmentReader())
        } catch {
            FileHandle.standardError.write(Data("\(service): configuration error: \(error)\n".utf8))
            exit(2)
        }
        let logger = LoggingSystem.bootstrapJSON(service: service, level: server(settings).logLevel)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        do {
            let application = try await build(settings, logger, registry)
            logger.info(
                "starting",
                metadata: ["http.host": "\(server(settings).host)", "http.port": "\(server(settings).port)"])
            var configuration = ServiceGroupConfiguration(
                services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger)
            configuration.maximumGracefulShutdownDuration = gracefulShutdownLimit
            configuration.maximumCancellationDuration = cancellationLimit
            try await ServiceGroup(configuration: configuration).run()
            logger.info("stopped")
        } catch {
            let server = server(settings)
            if let failure = ListenFailure(error, host: server.host, port: server.port) {
                FileHandle.standardError.write(Data("\(service): \(failure)\n".utf8))
                exit(2)
            }
            logger.critical("stopped on error", metadata: ["error.detail": "\(String(reflecting: error))"])
            exit(1)
        }
    }
}
