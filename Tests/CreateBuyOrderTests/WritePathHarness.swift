import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import TestSupport

@testable import BTCPrice
@testable import CreateBuyOrder

/// The whole write path for one test: its own write database, a fake Coinbase on loopback, the real
/// btc-price serving over HTTP in front of it, and create-buy-order reaching btc-price through libcurl.
struct WritePath: Sendable {
    let database: TestDatabase
    let coinbase: FakeCoinbase

    static func run(
        limitBTC: String? = nil, priceMaxAge: Int = 10, coinbase: FakeCoinbase = FakeCoinbase(),
        mode: TestingSetup = .router, waitForReady: Bool = true, amqp: AMQPSettings? = nil,
        topology: AMQPTopology = AMQPTopology(),
        _ body: @Sendable (any TestClientProtocol, WritePath) async throws -> Void
    ) async throws {
        let database = try TestDatabase.create(.writeModel)
        if let limitBTC {
            try database.connect().query("UPDATE btc_total SET limit_btc = \(limitBTC)::numeric")
        }
        let harness = WritePath(database: database, coinbase: coinbase)
        try await coinbase.run { sourceURL in
            let priceSettings = try BTCPriceSettings(
                environment: EnvironmentReader([
                    "PRICE_SOURCE_URL": sourceURL, "PRICE_POLL_INTERVAL_MS": "100", "PRICE_MAX_AGE_S": "\(priceMaxAge)",
                ]))
            let btcPrice = try await buildBTCPrice(
                settings: priceSettings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
            try await btcPrice.test(.live) { priceClient in
                let settings = CreateBuyOrderSettings(
                    server: HTTPServerSettings(port: 8777), writeDatabase: database.settings(poolSize: 4),
                    btcPriceURL: URL(string: "http://127.0.0.1:\(priceClient.port!)")!,
                    priceMaxAge: .seconds(priceMaxAge), pricePollInterval: .milliseconds(100), amqp: amqp)
                var configured = settings
                configured.topology = topology
                let app = try await buildCreateBuyOrder(
                    settings: configured, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
                try await app.test(mode) { client in
                    if waitForReady { try await harness.waitUntilReady(client) }
                    try await body(client, harness)
                }
            }
        }
    }

    /// Waits (bounded) until create-buy-order has fresh quotes and its database is migrated.
    func waitUntilReady(_ client: any TestClientProtocol) async throws {
        let ready = try await eventually(within: .seconds(15)) {
            try await client.execute(uri: "/ready", method: .get).status == .ok
        }
        guard ready else { throw NotReady("create-buy-order did not become ready") }
    }

    // MARK: - Requests

    static func body(currency: String = "USD", amount: String = "123.45", key: UUID? = UUID()) -> String {
        var fields = [#""currency":"\#(currency)""#, #""amount":"\#(amount)""#]
        if let key { fields.append(#""idempotence_key":"\#(key.uuidString.lowercased())""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func put(
        _ client: any TestClientProtocol, body: String, uri: String = "/buy_order",
        headers: HTTPFields = [.contentType: "application/json"]
    ) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .put, headers: headers, body: ByteBuffer(string: body))
    }

    // MARK: - What the database holds

    func count(_ table: String) throws -> Int {
        Int(try database.connect().query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)")).first?["n"] ?? "") ?? -1
    }

    /// The BTC total, its limit, and the sum of stored orders, as PostgreSQL's text.
    func totals() throws -> (total: String, limit: String, sum: String) {
        let row = try database.connect().query(
            "SELECT total::text, limit_btc::text, (SELECT coalesce(sum(btc_amount), 0)::numeric(16,8)::text FROM buy_order) AS sum FROM btc_total"
        ).first!
        return (row["total"]!, row["limit_btc"]!, row["sum"]!)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The fields a problem body names.
    var problemFields: [String] {
        (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
    }
}
