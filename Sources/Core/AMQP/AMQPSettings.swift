import Foundation

/// Where and how to connect to RabbitMQ.
public struct AMQPSettings: Sendable {
    public var endpoint: AMQPEndpoint
    /// Brokers of the same cluster to try in turn when `endpoint` does not answer (`AMQPSession` rotates).
    public var failoverEndpoints: [AMQPEndpoint]
    /// Proposed heartbeat interval; the broker may lower it. Zero turns heartbeats off.
    public var heartbeat: Duration
    /// Bounds the TCP connect and the login handshake.
    public var connectTimeout: Duration
    /// Bounds each synchronous method (declare, qos, consume, ...); a timeout closes the connection.
    public var rpcTimeout: Duration
    /// Shown in the management UI and `rabbitmqctl list_connections`.
    public var connectionName: String?

    public init(
        endpoint: AMQPEndpoint,
        heartbeat: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(5),
        rpcTimeout: Duration = .seconds(10),
        connectionName: String? = nil,
        failoverEndpoints: [AMQPEndpoint] = []
    ) {
        self.endpoint = endpoint
        self.failoverEndpoints = failoverEndpoints
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.rpcTimeout = rpcTimeout
        self.connectionName = connectionName
    }

    /// `endpoint` first, then the failover endpoints.
    public var endpoints: [AMQPEndpoint] { [endpoint] + failoverEndpoints }

    public static let defaultURL = "amqp://guest:guest@127.0.0.1:5672/%2f"

    /// The brokers from `AMQP_URL`: one URL, or several separated by commas, the nodes of one cluster,
    /// tried in turn. A later URL may leave out the user, password and vhost: it takes the first's. Where
    /// it gives them they must be the first's, since the nodes of one cluster share users and vhosts, and
    /// another vhost would be another queue.
    public static func from(_ environment: EnvironmentReader, connectionName: String? = nil) throws -> AMQPSettings {
        let text = environment.raw("AMQP_URL") ?? defaultURL
        let elements = Self.split(text)
        let redacted = elements.map(URL.redactingPassword(in:)).joined(separator: ",")
        func invalid(_ reason: String) -> ConfigurationError {
            ConfigurationError(
                variable: "AMQP_URL",
                expected: "an amqp://user:password@host:port/vhost URL, or several separated by commas (\(reason))",
                actual: redacted)
        }
        var endpoints: [AMQPEndpoint] = []
        for (index, element) in elements.enumerated() {
            guard let url = URL(string: element), var endpoint = try? AMQPEndpoint(url: url) else {
                throw invalid("URL \(index + 1) is not one with a host and one percent-encoded vhost")
            }
            if let first = endpoints.first {
                let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
                if components?.user == nil { endpoint.user = first.user }
                if components?.password == nil { endpoint.password = first.password }
                if (components?.percentEncodedPath ?? "").trimmingCharacters(in: ["/"]).isEmpty {
                    endpoint.virtualHost = first.virtualHost
                }
                guard endpoint.user == first.user, endpoint.password == first.password,
                    endpoint.virtualHost == first.virtualHost
                else {
                    throw invalid("URL \(index + 1) names another user, password or vhost than the first: the brokers are nodes of one cluster")
                }
            }
            endpoints.append(endpoint)
        }
        return AMQPSettings(
            endpoint: endpoints[0], connectionName: connectionName, failoverEndpoints: Array(endpoints.dropFirst()))
    }

    /// The URLs of a list: split at each comma that begins another `amqp://` URL, so that a comma inside
    /// a password stays where it is.
    private static func split(_ text: String) -> [String] {
        var elements: [String] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if elements.isEmpty || trimmed.isEmpty || trimmed.lowercased().hasPrefix("amqp://") {
                elements.append(trimmed)
            } else {
                elements[elements.count - 1] += "," + piece
            }
        }
        return elements
    }
}

/// A broker address parsed from an `amqp://user:password@host:port/vhost` URL.
public struct AMQPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String

    public init(
        host: String,
        port: Int = 5672,
        user: String = "guest",
        password: String = "guest",
        virtualHost: String = "/"
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
    }

    /// Parses the URL as RabbitMQ does: the path is the percent-encoded vhost (`%2f` is "/"), empty means "/".
    public init(url: URL) throws {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            components.scheme?.lowercased() == "amqp", let host = components.host, !host.isEmpty
        else {
            throw AMQPError(.connectionFailed, message: "not an amqp:// URL with a host: \(url.redactingPassword)")
        }
        var path = Substring(components.percentEncodedPath)
        if path.hasPrefix("/") { path = path.dropFirst() }
        guard !path.contains("/"), let virtualHost = path.removingPercentEncoding else {
            throw AMQPError(
                .connectionFailed,
                message: "the URL path must be one percent-encoded vhost: \(url.redactingPassword)"
            )
        }
        self.host = host
        self.port = components.port ?? 5672
        self.user = components.user ?? "guest"
        self.password = components.password ?? "guest"
        self.virtualHost = virtualHost.isEmpty ? "/" : virtualHost
    }

    /// The address for logs, without the password.
    public var description: String {
        let path = virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? virtualHost
        return "amqp://\(user)@\(host):\(port)/\(path)"
    }
}
