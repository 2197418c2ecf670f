import Core
import Synchronization

/// An offline stand-in for Coinbase: a random walk in whole cents around a realistic price per currency,
/// clamped to ±20 % of where it started. Integer arithmetic only.
final class SimulatedPriceSource: PriceSource {
    let name = "simulated"

    /// Starting prices in cents.
    static let startCents: [Currency: Int64] = [.usd: 4_800_000, .eur: 4_400_000, .gbp: 3_800_000]
    /// The largest move per quote, in cents.
    static let maxStepCents: Int64 = 2_500

    private let cents: Mutex<[Currency: Int64]>
    private let step: @Sendable () -> Int64

    init(step: @escaping @Sendable () -> Int64 = { Int64.random(in: -maxStepCents...maxStepCents) }) {
        self.cents = Mutex(Self.startCents)
        self.step = step
    }

    func rate(for currency: Currency) async throws -> ExchangeRate {
        let start = Self.startCents[currency] ?? 0
        let next = cents.withLock { cents in
            let next = Self.clamped(cents[currency, default: start] + step(), around: start)
            cents[currency] = next
            return next
        }
        guard let rate = ExchangeRate(units: next * (ExchangeRate.unitsPerWhole / 100)) else {
            throw PriceSourceFailure(kind: "invalid_amount", detail: "simulated \(next) cents out of range")
        }
        return rate
    }

    /// `value` kept within 80 % to 120 % of `start`.
    static func clamped(_ value: Int64, around start: Int64) -> Int64 {
        min(max(value, start * 8 / 10), start * 12 / 10)
    }
}
