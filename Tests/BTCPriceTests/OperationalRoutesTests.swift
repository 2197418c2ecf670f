import Core
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import BTCPrice

@Suite struct OperationalRoutesTests {
    @Test func answersHealth() async throws {
        let settings = try BTCPriceSettings(environment: EnvironmentReader([:]))
        let app = try await buildBTCPrice(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
