/// A missing or malformed environment variable; `description` is the one line printed at start.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let expected: String
    public let actual: String?

    public var description: String {
        if let actual {
            return "\(variable) must be \(expected), got \"\(actual)\""
        }
        return "\(variable) must be set to \(expected)"
    }
}
