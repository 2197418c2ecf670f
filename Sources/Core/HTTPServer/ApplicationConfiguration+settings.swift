import Hummingbird
import Logging
import ServiceLifecycle

extension ApplicationConfiguration {
    /// Hummingbird's configuration for a service's HOST and PORT, bounded to `maxConnections`.
    public init(_ settings: HTTPServerSettings, name: String, logger: Logger) {
        self.init(
            address: .hostname(settings.host, port: settings.port), serverName: name,
            availableConnectionsDelegate: ConnectionBound(maximum: settings.maxConnections, logger: logger))
    }
}

extension Application {
    /// A service's application: its router on HOST and PORT with every limit of `settings` (the
    /// connection bound, the header, idle and drain rules), and the services it runs.
    public init<Builder: HTTPResponderBuilder>(
        router: Builder, server settings: HTTPServerSettings, name: String, services: [any Service], logger: Logger
    ) where Responder == Builder.Responder {
        self.init(
            router: router, server: .service(settings),
            configuration: ApplicationConfiguration(settings, name: name, logger: logger), services: services,
            logger: logger)
    }
}
