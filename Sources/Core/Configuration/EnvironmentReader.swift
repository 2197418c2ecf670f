import Configuration
import Foundation
import Logging

/// Reads typed settings from the environment; every malformed value throws a `ConfigurationError`.
public struct EnvironmentReader: Sendable {
    private let reader: ConfigReader

    public init(provider: some ConfigProvider = EnvironmentVariablesProvider()) {
        self.reader = ConfigReader(provider: provider)
    }

    /// A reader over an explicit set of variables, for tests and tools.
    public init(_ variables: [String: String]) {
        self.init(provider: EnvironmentVariablesProvider(environmentVariables: variables))
    }

    /// The raw value, or nil when unset. An empty value counts as unset.
    public func raw(_ name: String) -> String? {
        guard let value = reader.string(forKey: ConfigKey([name])), !value.isEmpty else { return nil }
        return value
    }

    public func string(_ name: String, default defaultValue: String) -> String {
        raw(name) ?? defaultValue
    }

    public func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = raw(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                variable: name, expected: "an integer from \(range.lowerBound) to \(range.upperBound)", actual: text)
        }
        return value
    }

    public func port(_ name: String, default defaultValue: Int) throws -> Int {
        try integer(name, default: defaultValue, in: 1...65535)
    }

    /// An address to listen on: an IPv4 or IPv6 address, or a host name (RFC 1123 labels).
    /// Whether this machine has it shows only when the server binds (see `ListenFailure`).
    public func host(_ name: String, default defaultValue: String) throws -> String {
        guard let text = raw(name) else { return defaultValue }
        guard ListenAddress.isWellFormed(text) else {
            throw ConfigurationError(
                variable: name, expected: "an IPv4 or IPv6 address or a host name to listen on", actual: text)
        }
        return text
    }

    /// One of a fixed set of words.
    public func choice(_ name: String, default defaultValue: String, among allowed: [String]) throws -> String {
        guard let text = raw(name) else { return defaultValue }
        guard allowed.contains(text) else {
            throw ConfigurationError(
                variable: name, expected: "one of \(allowed.joined(separator: ", "))", actual: text)
        }
        return text
    }

    /// A URL whose scheme is one of `schemes` and which names a host. A malformed value is reported
    /// without its password.
    public func url(_ name: String, default defaultValue: String, schemes: [String]) throws -> URL {
        let text = raw(name) ?? defaultValue
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(
                variable: name, expected: "a \(schemes.joined(separator: " or ")) URL with a host",
                actual: URL.redactingPassword(in: text))
        }
        return url
    }

    /// A libpq connection URI, also in its multi-host form (`postgresql://h1:5432,h2:5432/db?...`),
    /// which `url` refuses. A malformed value is reported without its password.
    public func postgresURL(_ name: String, default defaultValue: String) throws -> PostgresURL {
        let text = raw(name) ?? defaultValue
        do {
            return try PostgresURL(text)
        } catch let error as PostgresURL.Invalid {
            throw ConfigurationError(
                variable: name,
                expected: "a postgresql or postgres URL with a host, or several as host:port,host:port (\(error))",
                actual: URL.redactingPassword(in: text))
        }
    }

    public func logLevel(_ name: String = "LOG_LEVEL", default defaultValue: Logger.Level = .info) throws
        -> Logger.Level
    {
        guard let text = raw(name) else { return defaultValue }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: name, expected: "one of \(names)", actual: text)
        }
        return level
    }
}
