/// A fiat currency the service trades BTC for.
public enum Currency: String, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case usd = "USD"
    case eur = "EUR"
    case gbp = "GBP"

    /// The currency named by an exact upper-case ISO 4217 code, or nil.
    public init?(code: String) {
        self.init(rawValue: code)
    }

    public var code: String { rawValue }

    public var description: String { rawValue }

    /// "USD, EUR, GBP", for messages that list what is accepted.
    public static var codes: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
