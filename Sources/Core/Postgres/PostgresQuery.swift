import Foundation

/// SQL whose interpolated values become `$n` binds; raw SQL needs `unsafeSQL:`. Queries compose: one
/// interpolated into another, or several `joined(separator:)`, keep their values as binds, numbered
/// anew in the whole, so no code numbers `$n` by hand.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The text as sent, each bind written `$n`.
    public private(set) var sql: String
    public private(set) var binds: [String?]
    /// The text between the binds: `binds.count + 1` pieces, bind `n` standing between pieces `n - 1` and `n`.
    private var pieces: [String]

    public init(unsafeSQL sql: String) {
        self.sql = sql
        self.binds = []
        self.pieces = [sql]
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self = stringInterpolation.query
    }

    /// Appends SQL text as it is: only text the code itself owns.
    private mutating func append(unsafeSQL text: String) {
        sql += text
        pieces[pieces.count - 1] += text
    }

    private mutating func append(bind value: String?) {
        binds.append(value)
        sql += "$\(binds.count)"
        pieces.append("")
    }

    /// Appends `other`, its binds numbered after this query's.
    public mutating func append(_ other: PostgresQuery) {
        append(unsafeSQL: other.pieces[0])
        for (bind, piece) in zip(other.binds, other.pieces.dropFirst()) {
            append(bind: bind)
            append(unsafeSQL: piece)
        }
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var query = PostgresQuery(unsafeSQL: "")

        public init(literalCapacity: Int, interpolationCount: Int) {
            query.sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            query.binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            query.append(unsafeSQL: literal)
        }

        public mutating func appendInterpolation(_ value: some PostgresBindable) {
            query.append(bind: value.postgresText)
        }

        public mutating func appendInterpolation(_ value: (some PostgresBindable)?) {
            query.append(bind: value?.postgresText)
        }

        /// A query built elsewhere (a condition, a column list with binds): its binds are renumbered.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            query.append(fragment)
        }

        /// Splices SQL text in as it is: only for identifiers and fragments the code itself owns.
        public mutating func appendInterpolation(unsafeSQL fragment: String) {
            query.append(unsafeSQL: fragment)
        }
    }
}

extension Array where Element == PostgresQuery {
    /// The queries one after another, `separator` (SQL the code owns) between them.
    public func joined(separator: String) -> PostgresQuery {
        var joined = PostgresQuery(unsafeSQL: "")
        for (index, query) in enumerated() {
            if index > 0 { joined.append(PostgresQuery(unsafeSQL: separator)) }
            joined.append(query)
        }
        return joined
    }
}

/// A value sent to PostgreSQL in its text form.
public protocol PostgresBindable {
    var postgresText: String { get }
}

extension String: PostgresBindable {
    public var postgresText: String { self }
}

extension Int: PostgresBindable {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresBindable {
    public var postgresText: String { String(self) }
}

extension Int32: PostgresBindable {
    public var postgresText: String { String(self) }
}

extension Bool: PostgresBindable {
    public var postgresText: String { self ? "true" : "false" }
}

extension UUID: PostgresBindable {
    public var postgresText: String { lowercaseText }
}

/// A one-dimensional array literal (`{"a","b",NULL}`), for `= ANY($1)` and `unnest($1::text[])`.
extension Array: PostgresBindable where Element: PostgresBindable {
    /// Built byte by byte: batches bind arrays of hundreds of values per statement.
    public var postgresText: String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(count * 40 + 2)
        for (index, element) in enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            // Bytes of a multi-byte UTF-8 sequence are never '"' or '\\', so escaping bytes is exact.
            for byte in element.postgresText.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
