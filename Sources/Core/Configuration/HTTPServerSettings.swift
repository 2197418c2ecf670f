import Foundation
import Logging

/// Where a service listens, how much it logs, and the limits that keep slow, idle or too many
/// clients from exhausting it: `HOST`, `PORT`, `LOG_LEVEL`, `HTTP_HEADER_TIMEOUT_S`,
/// `HTTP_IDLE_TIMEOUT_S`, `HTTP_MAX_CONNECTIONS`, `HTTP_DRAIN_GRACE_MS`.
public struct HTTPServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    /// A request head must arrive within this of its first byte.
    public var headerTimeout: Duration
    /// A connection with no request in progress (a new one too), or whose request body pauses, is closed after this.
    public var idleTimeout: Duration
    /// Connections beyond this many wait in the listen backlog until others close.
    public var maxConnections: Int
    /// While draining, how long a connection with no request in flight waits for one already on its way.
    public var drainGrace: Duration

    public static let defaultHeaderTimeout = Duration.seconds(10)
    /// Longer than the 60 s idle timeout of common load balancers, so that they close first.
    public static let defaultIdleTimeout = Duration.seconds(75)
    public static let defaultDrainGrace = Duration.seconds(1)
    public static let maxDrainGraceMilliseconds = 3000

    public init(
        host: String = "127.0.0.1", port: Int, logLevel: Logger.Level = .info,
        headerTimeout: Duration = defaultHeaderTimeout, idleTimeout: Duration = defaultIdleTimeout,
        maxConnections: Int = HTTPServerSettings.defaultMaxConnections(openFileLimit: HTTPServerSettings.openFileLimit()),
        drainGrace: Duration = defaultDrainGrace
    ) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.drainGrace = drainGrace
    }

    public init(environment: EnvironmentReader, defaultPort: Int, openFileLimit: Int = HTTPServerSettings.openFileLimit()) throws {
        self.host = try environment.host("HOST", default: "127.0.0.1")
        self.port = try environment.port("PORT", default: defaultPort)
        self.logLevel = try environment.logLevel()
        self.headerTimeout = .seconds(try environment.integer("HTTP_HEADER_TIMEOUT_S", default: 10, in: 1...600))
        self.idleTimeout = .seconds(try environment.integer("HTTP_IDLE_TIMEOUT_S", default: 75, in: 1...3600))
        self.maxConnections = try environment.integer(
            "HTTP_MAX_CONNECTIONS", default: Self.defaultMaxConnections(openFileLimit: openFileLimit),
            in: 1...Self.connectionCeiling(openFileLimit: openFileLimit))
        self.drainGrace = .milliseconds(
            try environment.integer("HTTP_DRAIN_GRACE_MS", default: 1000, in: 0...Self.maxDrainGraceMilliseconds))
    }

    /// 1024, or half the open-file limit when that is lower, so that the process keeps descriptors
    /// for its database and broker connections.
    public static func defaultMaxConnections(openFileLimit: Int) -> Int {
        max(1, min(1024, openFileLimit / 2))
    }

    /// The highest bound that leaves 64 descriptors of the open-file limit for everything else.
    static func connectionCeiling(openFileLimit: Int) -> Int {
        max(1, openFileLimit - 64)
    }

    /// The process's soft limit on open files (`ulimit -n`).
    public static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}
