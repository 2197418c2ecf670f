import Foundation

/// A libpq connection URI, validated once and handed to libpq as written:
/// `postgresql://[user[:password]@]host[:port][,host[:port]...][/database][?name=value&...]`.
///
/// Not a Foundation `URL`: that refuses libpq's multi-host form, where libpq tries the hosts in turn
/// and keeps the first whose session matches `target_session_attrs` (`read-write`, `prefer-standby`,
/// ...). The parts a service needs beside the text (the hosts and the database for logs, the query for
/// `ConnectionOptions`) are read here; `description` hides the password.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public struct Host: Sendable, Equatable, CustomStringConvertible {
        /// A name or an address; an IPv6 address without its brackets.
        public let name: String
        public let port: Int?

        public init(name: String, port: Int?) {
            self.name = name
            self.port = port
        }

        public var description: String {
            let host = name.contains(":") ? "[\(name)]" : name
            return port.map { "\(host):\($0)" } ?? host
        }
    }

    /// One `name=value` of the query, both as written (percent-encoded).
    public struct Parameter: Sendable, Equatable {
        public let name: String
        public let value: String
    }

    /// What is wrong with a text that is not a connection URI; never holds any part of the text.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The values libpq takes for `target_session_attrs`.
    static let sessionAttributes = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]

    /// The URI as written.
    public let text: String
    public let hosts: [Host]
    /// Percent-decoded; empty when the URI names none (libpq then uses the user name).
    public let database: String
    public let parameters: [Parameter]
    /// `text` up to its query.
    let textBeforeQuery: String

    public init(_ text: String) throws {
        guard let start = text.range(of: "://"), ["postgresql", "postgres"].contains(text[..<start.lowerBound].lowercased())
        else {
            throw Invalid(description: "the scheme is not postgresql:// or postgres://")
        }
        self.text = text
        var rest = text[start.upperBound...]
        // libpq ends the user info at the first "@" before any "/".
        if let at = rest.prefix(while: { $0 != "/" }).firstIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
        }
        let netloc = rest.prefix { $0 != "/" && $0 != "?" }
        rest = rest[netloc.endIndex...]
        self.hosts = try netloc.split(separator: ",", omittingEmptySubsequences: false).map(Self.host)
        var path = rest.prefix { $0 != "?" }
        rest = rest[path.endIndex...]
        self.textBeforeQuery = String(text[..<rest.startIndex])
        if path.first == "/" { path = path.dropFirst() }
        guard let database = path.removingPercentEncoding else {
            throw Invalid(description: "the database name is not valid percent-encoding")
        }
        self.database = database
        self.parameters = try rest.dropFirst().split(separator: "&").map { item in
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw Invalid(description: "a query parameter is not name=value")
            }
            return Parameter(name: String(parts[0]), value: String(parts[1]))
        }
        if let attributes = value(of: "target_session_attrs"), !Self.sessionAttributes.contains(attributes) {
            throw Invalid(description: "target_session_attrs is not one of \(Self.sessionAttributes.joined(separator: ", "))")
        }
    }

    /// One `host[:port]` or `[address][:port]` of the host list.
    private static func host(_ entry: Substring) throws -> Host {
        let name: Substring
        var rest: Substring
        if entry.first == "[" {
            guard let close = entry.firstIndex(of: "]") else { throw Invalid(description: "an IPv6 address lacks its closing ]") }
            name = entry[entry.index(after: entry.startIndex)..<close]
            rest = entry[entry.index(after: close)...]
        } else {
            name = entry.prefix { $0 != ":" }
            rest = entry[name.endIndex...]
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-_:%"))
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw Invalid(description: "an entry of the host list is not a host name or address")
        }
        var port: Int?
        if !rest.isEmpty {
            guard rest.first == ":", let number = Int(rest.dropFirst()), (1...65535).contains(number) else {
                throw Invalid(description: "a port is not from 1 to 65535")
            }
            port = number
        }
        return Host(name: String(name), port: port)
    }

    /// The percent-decoded value of the last query parameter called `name`.
    public func value(of name: String) -> String? {
        parameters.last { ($0.name.removingPercentEncoding ?? $0.name) == name }.map { $0.value.removingPercentEncoding ?? $0.value }
    }

    /// The hosts as libpq tries them, for logs: `h1:5432,h2:5432`.
    public var hostList: String { hosts.map(\.description).joined(separator: ",") }

    /// The URI without its password.
    public var description: String { URL.redactingPassword(in: text) }
}
