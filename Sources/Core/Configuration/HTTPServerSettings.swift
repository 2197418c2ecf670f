import Logging

/// Where a service listens and how much it logs: `HOST`, `PORT`, `LOG_LEVEL`.
public struct HTTPServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level

    public init(host: String = "127.0.0.1", port: Int, logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
    }

    public init(environment: EnvironmentReader, defaultPort: Int) throws {
        self.host = try environment.host("HOST", default: "127.0.0.1")
        self.port = try environment.port("PORT", default: defaultPort)
        self.logLevel = try environment.logLevel()
    }
}
