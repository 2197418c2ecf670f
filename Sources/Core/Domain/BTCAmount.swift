/// An amount of bitcoin, exact to 10⁻⁸ BTC (one satoshi).
public struct BTCAmount: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Wide enough for any fiat amount over any valid rate (up to about 10¹⁹ satoshis).
    public let satoshis: Int128

    public static let satoshisPerBTC: Int128 = 100_000_000
    public static let zero = BTCAmount(satoshis: 0)

    public init(satoshis: Int128) {
        self.satoshis = satoshis
    }

    /// `amount / rate`, rounded up to the next satoshi, in integer arithmetic.
    ///
    /// amount = cents / 10², rate = units / 10⁸, so satoshis = cents · 10¹⁴ / units, rounded up.
    public init(buying amount: FiatAmount, at rate: ExchangeRate) {
        let numerator = Int128(amount.cents) * 100_000_000_000_000
        let denominator = Int128(rate.units)
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        self.satoshis = remainder == 0 ? quotient : quotient + 1
    }

    /// Parses PostgreSQL's NUMERIC text of a non-negative amount with at most 8 decimals, e.g. `100.00000000`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigitCharacter),
            parts.count == 1 || (1...8).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigitCharacter),
            let whole = Int128(parts[0])
        else { return nil }
        let fractionText = parts.count == 2 ? parts[1] + String(repeating: "0", count: 8 - parts[1].count) : "0"
        guard let fraction = Int128(fractionText) else { return nil }
        self.satoshis = whole * Self.satoshisPerBTC + fraction
    }

    /// Always eight decimals: `0.00254647`.
    public var description: String {
        let sign = satoshis < 0 ? "-" : ""
        let magnitude = satoshis.magnitude
        let fraction = String(magnitude % UInt128(Self.satoshisPerBTC))
        return "\(sign)\(magnitude / UInt128(Self.satoshisPerBTC)).\(String(repeating: "0", count: 8 - fraction.count))\(fraction)"
    }

    public static func + (lhs: BTCAmount, rhs: BTCAmount) -> BTCAmount { BTCAmount(satoshis: lhs.satoshis + rhs.satoshis) }
    public static func - (lhs: BTCAmount, rhs: BTCAmount) -> BTCAmount { BTCAmount(satoshis: lhs.satoshis - rhs.satoshis) }
    public static func < (lhs: BTCAmount, rhs: BTCAmount) -> Bool { lhs.satoshis < rhs.satoshis }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
