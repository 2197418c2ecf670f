import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import TestSupport

@testable import BTCPrice

/// Runs btc-price (built by the same builder as `main`) against `fake`, with a fast poll;
/// `environment` overrides any variable. The upstream timeout is generous so a loaded machine does not
/// turn good answers into timeouts; tests of a hanging upstream shorten it.
func withBTCPrice(
    upstream fake: FakeCoinbase = FakeCoinbase(), environment: [String: String] = [:],
    upstreamTimeout: Duration = .seconds(10), logger: Logger = TestServers.logger,
    _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
) async throws {
    try await fake.run { baseURL in
        let variables = ["PRICE_SOURCE_URL": baseURL, "PRICE_POLL_INTERVAL_MS": "100", "PRICE_MAX_AGE_S": "30"]
            .merging(environment) { $1 }
        var settings = try BTCPriceSettings(environment: EnvironmentReader(variables))
        settings.upstream.timeout = upstreamTimeout
        let app = try await buildBTCPrice(settings: settings, logger: logger, metrics: PrometheusCollectorRegistry())
        try await app.test(.router) { client in try await body(client) }
    }
}

/// The decoded body of `GET /v1/price`.
struct PriceBody: Decodable, Equatable {
    let currency: String
    let rate: String
    let quoted_at: String
    let source: String
}

/// The decoded problem body of an error.
struct ProblemBody: Decodable {
    struct FieldError: Decodable {
        let field: String
        let message: String
    }

    let status: Int
    let detail: String?
    let errors: [FieldError]?
}

/// The decoded body of `/ready`.
struct ReadyBody: Decodable {
    struct Check: Decodable {
        let name: String
        let status: String
        let detail: String?
    }

    let status: String
    let checks: [Check]

    func status(of name: String) -> String? { checks.first { $0.name == name }?.status }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    var text: String { String(buffer: body) }
}

extension TestClientProtocol {
    func price(_ currency: String) async throws -> TestResponse {
        try await execute(uri: "/v1/price?currency=\(currency)", method: .get)
    }
}
