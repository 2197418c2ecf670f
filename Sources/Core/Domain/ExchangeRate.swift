/// The price of one BTC in a fiat currency, exact to 8 decimals: an integer count of 10⁻⁸ currency units.
///
/// Valid rates lie in `ExchangeRate.validUnits` (0.01 up to, not including, 10,000,000,000), which keeps
/// every rate far from `Int64`'s limit and refuses the absurd.
public struct ExchangeRate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Currency units per BTC, in 10⁻⁸.
    public let units: Int64

    public static let decimals = 8
    public static let unitsPerWhole: Int64 = 100_000_000
    public static let validUnits: Range<Int64> = 1_000_000..<(10_000_000_000 * unitsPerWhole)

    /// Why a text is not an exchange rate.
    public enum ParsingError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not digits with an optional point and 1...8 decimals (no sign, exponent, spaces or separators).
        case notPlainDecimal
        case tooManyDecimals
        case outOfRange

        public var description: String {
            switch self {
            case .notPlainDecimal: "must be a plain decimal number such as 48478.88"
            case .tooManyDecimals: "must have at most 8 decimal places"
            case .outOfRange: "must be at least 0.01 and below 10000000000"
            }
        }
    }

    /// A rate from 10⁻⁸ units, or nil outside `validUnits`.
    public init?(units: Int64) {
        guard Self.validUnits.contains(units) else { return nil }
        self.units = units
    }

    /// Parses `48478.88`, `3`, `0.12345678`: digits, then optionally a point and 1 to 8 digits.
    public init(parsing text: String) throws(ParsingError) {
        let bytes = Array(text.utf8)
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(point ?? bytes.endIndex)]
        let fraction = point.map { bytes[($0 + 1)...] } ?? []
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard !whole.isEmpty, whole.allSatisfy(isDigit), point == nil || !fraction.isEmpty,
            fraction.allSatisfy(isDigit)
        else { throw .notPlainDecimal }
        guard fraction.count <= Self.decimals else { throw .tooManyDecimals }
        // Eleven whole digits are already out of range; stopping at ten keeps the sum within Int64.
        let significant = whole.drop { $0 == UInt8(ascii: "0") }
        guard significant.count <= 10 else { throw .outOfRange }
        var units: Int64 = 0
        for byte in significant { units = units * 10 + Int64(byte - UInt8(ascii: "0")) }
        for index in 0..<Self.decimals {
            let digit = index < fraction.count ? Int64(fraction[fraction.startIndex + index] - UInt8(ascii: "0")) : 0
            units = units * 10 + digit
        }
        guard let rate = Self(units: units) else { throw .outOfRange }
        self = rate
    }

    /// Plain decimal text with at least 2 and at most 8 decimals: `48478.88`, `3.00`, `0.12345678`.
    public var description: String {
        let whole = units / Self.unitsPerWhole
        var fraction = String(units % Self.unitsPerWhole)
        fraction = String(repeating: "0", count: Self.decimals - fraction.count) + fraction
        while fraction.count > 2, fraction.last == "0" { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }

    public static func < (lhs: ExchangeRate, rhs: ExchangeRate) -> Bool { lhs.units < rhs.units }
}

extension ExchangeRate: Codable {
    /// Decodes only a JSON string, never a number, so no value passes through a floating-point type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try ExchangeRate(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "rate \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
