import Core
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@testable import BTCPrice

@Suite struct SimulatedSourceTests {
    @Test func servesQuotesLabelledSimulated() async throws {
        try await withBTCPrice(environment: ["PRICE_SOURCE": "simulated"]) { client in
            for currency in Currency.allCases {
                try await expectEventually { try await client.price(currency.code).status == .ok }
                let body = try await client.price(currency.code).decode(PriceBody.self)
                #expect(body.source == "simulated")
                #expect(body.currency == currency.code)
                let rate = try ExchangeRate(parsing: body.rate)
                let start = SimulatedPriceSource.startCents[currency]! * 1_000_000
                #expect(rate.units >= start * 8 / 10 && rate.units <= start * 12 / 10)
            }
        }
    }

    @Test func walksInWholeCentsWithinTwentyPercent() async throws {
        let source = SimulatedPriceSource(step: { SimulatedPriceSource.maxStepCents })
        var rates: [String] = []
        for _ in 0..<1000 { rates.append(try await source.rate(for: .usd).description) }
        #expect(rates.first == "48025.00")
        #expect(rates.last == "57600.00")
        let falling = SimulatedPriceSource(step: { -SimulatedPriceSource.maxStepCents })
        for _ in 0..<1000 { _ = try await falling.rate(for: .gbp) }
        #expect(try await falling.rate(for: .gbp).description == "30400.00")
    }
}
