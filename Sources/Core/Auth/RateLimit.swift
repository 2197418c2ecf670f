/// A token bucket's shape: `perSecond` tokens flow in each second, at most `burst` are kept.
/// `perSecond` is exact to a thousandth ("0.5" is a request every two seconds).
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Thousandths of a token per second.
    public let milliPerSecond: Int64
    public let burst: Int64

    public init?(milliPerSecond: Int64, burst: Int64) {
        guard milliPerSecond > 0, milliPerSecond <= 1_000_000_000_000, burst >= 1, burst <= 1_000_000_000 else {
            return nil
        }
        self.milliPerSecond = milliPerSecond
        self.burst = burst
    }

    /// Reads "200" or "0.5" (at most three decimals) as tokens per second; nil otherwise.
    public static func parsePerSecond(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].utf8.count <= 9,
            parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) }), let whole = Int64(parts[0])
        else { return nil }
        var milli = whole * 1000
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...3).contains(fraction.utf8.count), fraction.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let value = Int64(fraction)
            else { return nil }
            milli += value * [100, 10, 1][fraction.utf8.count - 1]
        }
        return milli > 0 ? milli : nil
    }

    /// Tokens per second as text: "200", "0.5".
    public var perSecondText: String { Self.perSecondText(milliPerSecond) }

    /// Thousandths per second as text: 200000 → "200", 500 → "0.5".
    public static func perSecondText(_ milliPerSecond: Int64) -> String {
        let whole = milliPerSecond / 1000
        let fraction = milliPerSecond % 1000
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    public var description: String { "\(perSecondText)/s, burst \(burst)" }
}
