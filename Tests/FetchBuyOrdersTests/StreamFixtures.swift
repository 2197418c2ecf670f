import Core
import Foundation
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// Orders projected into the read model as read-model-sync projects them: in one transaction that also
/// sends the commit signal the stream's fan-out listens to.
struct ProjectedOrders {
    let database: TestDatabase

    /// `count` orders of `client` in one transaction, currencies cycling USD, EUR, GBP from `firstCurrency`;
    /// returns their ids and currencies in projection order.
    @discardableResult
    func project(_ count: Int, client: String = "default", firstCurrency: Int = 0) throws -> [(id: String, currency: String)] {
        let connection = try database.connect()
        return try connection.transaction { connection in
            let rows = try connection.query(
                """
                INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount,
                                       rate_source, rate_quoted_at, created_at)
                SELECT gen_random_uuid(), (extract(epoch FROM clock_timestamp()) * 1000000)::bigint + g, \(client),
                       (ARRAY['USD', 'EUR', 'GBP'])[1 + (g + \(firstCurrency)) % 3], 10.00, 48478.88, 0.00020628, 'test', now(), now()
                FROM generate_series(0, \(count) - 1) AS g
                ORDER BY g
                RETURNING id::text AS id, currency, projected_sequence
                """)
            try connection.query("SELECT pg_notify(\(ReadModelSignal.ordersProjected), '')")
            return try rows.sorted { try $0.int("projected_sequence") < $1.int("projected_sequence") }
                .map { (try $0.text("id"), try $0.text("currency")) }
        }
    }
}

/// fetch-buy-orders as its builder makes it, on a live port, with `stream` settings.
func withStreamingService<T: Sendable>(
    database: TestDatabase, stream: StreamSettings = StreamSettings(), access: AccessSettings = .anonymousDefault,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), _ body: @Sendable (LiveApplication) async throws -> T
) async throws -> T {
    let settings = FetchBuyOrdersSettings(
        server: HTTPServerSettings(port: 0), readDatabase: database.settings(), access: access, stream: stream)
    let app = try await buildFetchBuyOrders(settings: settings, logger: TestServers.logger, metrics: metrics)
    return try await withLiveApplication(app) { live in
        // The fan-out has read the read model once: streams may open.
        try await expectEventually(within: .seconds(30)) {
            let probe = try await EventStreamConnection.open(port: live.port, path: "/v1/buy_orders/stream")
            defer { probe.close() }
            return probe.status == 200
        }
        return try await body(live)
    }
}
