import Core
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import BTCPrice

@Suite struct OperationalRoutesTests {
    @Test func answersHealthReadyAndMetrics() async throws {
        try await withBTCPrice(environment: ["PRICE_SOURCE": "simulated"]) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"healthy"}"#)
            try await expectEventually { try await client.execute(uri: "/ready", method: .get).status == .ok }
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
        }
    }
}
