import Logging

extension LoggingSystem {
    /// Called once, from a service's `main`: every logger writes JSON lines tagged with `service`.
    public static func bootstrapJSON(service: String, level: Logger.Level) -> Logger {
        bootstrap { _ in JSONLogHandler(service: service, level: level) }
        var logger = Logger(label: service)
        logger.logLevel = level
        return logger
    }
}
