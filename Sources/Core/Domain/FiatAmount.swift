/// An amount of fiat money, exact to the cent: 0 < amount < 1,000,000,000 with at most 2 decimals.
public struct FiatAmount: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let cents: Int64

    public static let upperBoundCents: Int64 = 100_000_000_000

    /// Why a text is not an amount; the message completes "amount …".
    public enum ParsingError: Error, Sendable, Equatable, CustomStringConvertible {
        case notPlainDecimal
        case tooManyDecimals
        case notPositive
        case tooLarge

        public var description: String {
            switch self {
            case .notPlainDecimal: "must be a decimal number written as a string, such as \"123.45\""
            case .tooManyDecimals: "must have at most 2 decimal places"
            case .notPositive: "must be greater than 0"
            case .tooLarge: "must be less than 1000000000"
            }
        }
    }

    public init?(cents: Int64) {
        guard cents > 0, cents < Self.upperBoundCents else { return nil }
        self.cents = cents
    }

    /// Parses `123.45`, `7`, `0.5`: digits, then optionally a point and 1 or 2 digits. No sign, exponent,
    /// spaces, separators, "NaN" or "Infinity"; a plain decimal with a minus sign is `notPositive`.
    public init(parsing text: String) throws(ParsingError) {
        if text.utf8.first == UInt8(ascii: "-"), (try? Self.split(String(text.utf8.dropFirst())!)) != nil {
            throw .notPositive
        }
        let (whole, fraction) = try Self.split(text)
        guard fraction.count <= 2 else { throw .tooManyDecimals }
        let significant = whole.drop { $0 == UInt8(ascii: "0") }
        guard significant.count <= 9 else { throw .tooLarge }
        var cents: Int64 = 0
        for digit in significant { cents = cents * 10 + Int64(digit - UInt8(ascii: "0")) }
        for index in 0..<2 {
            cents = cents * 10 + (index < fraction.count ? Int64(fraction[index] - UInt8(ascii: "0")) : 0)
        }
        guard cents > 0 else { throw .notPositive }
        self.cents = cents
    }

    /// The digits before and after the point of a plain decimal.
    private static func split(_ text: String) throws(ParsingError) -> (whole: [UInt8], fraction: [UInt8]) {
        let bytes = Array(text.utf8)
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = Array(bytes[..<(point ?? bytes.endIndex)])
        let fraction = point.map { Array(bytes[($0 + 1)...]) } ?? []
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard !whole.isEmpty, whole.allSatisfy(isDigit), point == nil || !fraction.isEmpty, fraction.allSatisfy(isDigit)
        else { throw .notPlainDecimal }
        return (whole, fraction)
    }

    /// Always two decimals: `123.45`, `7.00`.
    public var description: String {
        let fraction = cents % 100
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    public static func < (lhs: FiatAmount, rhs: FiatAmount) -> Bool { lhs.cents < rhs.cents }
}
