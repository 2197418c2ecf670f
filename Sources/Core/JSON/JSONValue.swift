/// A JSON value as `JSONParser` reads it from a request body: an object keeps its members in the
/// order sent, a number keeps its literal text.
public enum JSONValue: Sendable, Equatable {
    case object(JSONObject)
    case array([JSONValue])
    case string(String)
    /// The number exactly as written (`123.45`, `-0`, `1e3`); nothing converts it to a binary
    /// floating point, so a caller can take its digits exactly.
    case number(String)
    case bool(Bool)
    case null
}

/// A JSON object whose keys are unique (`JSONParser` refuses a duplicate).
public struct JSONObject: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public let members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    public var keys: [String] { members.map(\.key) }

    public var isEmpty: Bool { members.isEmpty }
}
