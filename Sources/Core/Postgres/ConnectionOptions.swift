import Foundation

/// What a connection is opened with beyond its URL: libpq's connect timeout, TCP keepalives and user
/// timeout (so a dead peer or a half-open connection fails instead of blocking a thread for good), the
/// kind of server to pick among the URL's hosts (`target_session_attrs`), and server settings for the
/// session (`options=-c name=value`), such as the statement and lock timeouts.
///
/// Whatever the URL sets itself wins: a parameter it names is left alone, and its own `options` come
/// after these, so its `-c` settings override the same ones here.
public struct ConnectionOptions: Sendable, Equatable {
    /// libpq's `connect_timeout` (it counts whole seconds, at least 2).
    public var connectTimeout: Duration
    /// Idle time before the first keepalive probe, the time between probes, and how many may go unanswered.
    public var keepalivesIdle: Duration
    public var keepalivesInterval: Duration
    public var keepalivesCount: Int
    /// How long sent data may stay unacknowledged before the kernel drops the connection.
    public var tcpUserTimeout: Duration
    /// PostgreSQL cancels a statement running longer than this (nil: no limit).
    public var statementTimeout: Duration?
    /// PostgreSQL cancels a statement waiting longer than this for a lock (nil: no limit).
    public var lockTimeout: Duration?
    /// Further server settings for the session, by name.
    public var serverSettings: [String: String]
    /// libpq's `target_session_attrs` (nil: libpq's default, `any`): with several hosts, libpq connects to
    /// the first that answers with such a session. `read-write` skips standbys and read-only servers.
    public var targetSessionAttributes: String?

    public init(
        connectTimeout: Duration = .seconds(5), keepalivesIdle: Duration = .seconds(10),
        keepalivesInterval: Duration = .seconds(5), keepalivesCount: Int = 3, tcpUserTimeout: Duration = .seconds(20),
        statementTimeout: Duration? = nil, lockTimeout: Duration? = nil, serverSettings: [String: String] = [:],
        targetSessionAttributes: String? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.keepalivesIdle = keepalivesIdle
        self.keepalivesInterval = keepalivesInterval
        self.keepalivesCount = keepalivesCount
        self.tcpUserTimeout = tcpUserTimeout
        self.statementTimeout = statementTimeout
        self.lockTimeout = lockTimeout
        self.serverSettings = serverSettings
        self.targetSessionAttributes = targetSessionAttributes
    }

    /// For the services' own connections: no statement runs longer than 5 s, none waits more than 2 s
    /// for a lock (a request then gets a 503 instead of hanging), and prepared statements run their
    /// generic plan. Left to choose, PostgreSQL planned some statements again at every execution: those
    /// that bind arrays (`unnest`, `ANY`), since a custom plan for the exact array length always looks
    /// cheaper (15 % of its CPU per order at 1,000 orders/s), and the page queries, whose `LIMIT $n`
    /// makes the generic estimate look far costlier than it is. The plan tests check the generic plans.
    public static let services = ConnectionOptions(
        statementTimeout: .seconds(5), lockTimeout: .seconds(2), serverSettings: ["plan_cache_mode": "force_generic_plan"])

    /// The libpq parameters these options add to a URL, in a fixed order.
    var parameters: [(name: String, value: String)] {
        [
            ("connect_timeout", String(max(2, connectTimeout.wholeSeconds))),
            ("keepalives", "1"),
            ("keepalives_idle", String(max(1, keepalivesIdle.wholeSeconds))),
            ("keepalives_interval", String(max(1, keepalivesInterval.wholeSeconds))),
            ("keepalives_count", String(keepalivesCount)),
            ("tcp_user_timeout", String(tcpUserTimeout.wholeMilliseconds)),
        ] + (targetSessionAttributes.map { [("target_session_attrs", $0)] } ?? [])
    }

    /// The `-c name=value` settings, sorted by name; a limit of nil is left to the server's default.
    var sessionSettings: [(name: String, value: String)] {
        var settings = serverSettings
        if let statementTimeout { settings["statement_timeout"] = String(statementTimeout.wholeMilliseconds) }
        if let lockTimeout { settings["lock_timeout"] = String(lockTimeout.wholeMilliseconds) }
        return settings.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The URI libpq is given: the URL's own query parameters first, then every parameter it does not set,
    /// and `options` with these settings ahead of the URL's own.
    public func conninfo(for url: PostgresURL) -> String {
        let base = url.textBeforeQuery
        var items = url.parameters.map { (name: $0.name, value: $0.value) }
        let named = Set(items.map { $0.name.removingPercentEncoding ?? $0.name })
        for parameter in parameters where !named.contains(parameter.name) {
            items.append((parameter.name, Self.percentEncoded(parameter.value)))
        }
        let ours = sessionSettings.map { "-c \($0.name)=\($0.value)" }.joined(separator: " ")
        if !ours.isEmpty {
            if let index = items.firstIndex(where: { ($0.name.removingPercentEncoding ?? $0.name) == "options" }) {
                let theirs = items[index].value.removingPercentEncoding ?? ""
                items[index].value = Self.percentEncoded(theirs.isEmpty ? ours : "\(ours) \(theirs)")
            } else {
                items.append(("options", Self.percentEncoded(ours)))
            }
        }
        guard !items.isEmpty else { return base }
        return base + "?" + items.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// libpq reads URI query values percent-decoded and refuses a second `=` in one parameter.
    private static func percentEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? value
    }
}

extension Duration {
    /// Whole seconds, rounded up.
    var wholeSeconds: Int { (wholeMilliseconds + 999) / 1000 }
}
