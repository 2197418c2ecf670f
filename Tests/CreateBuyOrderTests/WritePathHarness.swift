import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import TestSupport

@testable import BTCPrice
@testable import CreateBuyOrder

/// The whole write path for one test: its own write database, a fake Coinbase on loopback, the real
/// btc-price serving over HTTP in front of it, and create-buy-order reaching btc-price through libcurl.
struct WritePath: Sendable {
    let database: TestDatabase
    let coinbase: FakeCoinbase

    /// `database`: a migrated write model (by default one of the test's own); `configure` changes the
    /// settings the service is built with (database options, writer limits); `logger` is the service's.
    static func run(
        limitBTC: String? = nil, priceMaxAge: Int = 10, coinbase: FakeCoinbase = FakeCoinbase(),
        mode: TestingSetup = .router, waitForReady: Bool = true, amqp: AMQPSettings? = nil,
        topology: AMQPTopology = AMQPTopology(), database: TestDatabase? = nil,
        configure: @Sendable (inout CreateBuyOrderSettings) -> Void = { _ in }, logger: Logger = TestServers.logger,
        _ body: @Sendable (any TestClientProtocol, WritePath) async throws -> Void
    ) async throws {
        let database = try database ?? TestDatabase.create(.writeModel)
        if let limitBTC {
            try database.connect().query("UPDATE btc_total SET limit_btc = \(limitBTC)::numeric")
        }
        let harness = WritePath(database: database, coinbase: coinbase)
        try await withPrices(coinbase: coinbase, priceMaxAge: priceMaxAge) { priceURL in
            let settings = CreateBuyOrderSettings(
                server: HTTPServerSettings(port: 8777), writeDatabase: database.settings(poolSize: 4),
                btcPriceURL: priceURL, priceMaxAge: .seconds(priceMaxAge), pricePollInterval: .milliseconds(100),
                access: .anonymousDefault, amqp: amqp)
            var configured = settings
            configured.topology = topology
            configure(&configured)
            let app = try await buildCreateBuyOrder(settings: configured, logger: logger, metrics: PrometheusCollectorRegistry())
            try await app.test(mode) { client in
                if waitForReady { try await harness.waitUntilReady(client) }
                try await body(client, harness)
            }
        }
    }

    /// Runs the real btc-price over HTTP in front of `coinbase` while `body` runs with its URL.
    static func withPrices(
        coinbase: FakeCoinbase = FakeCoinbase(), priceMaxAge: Int = 10, _ body: @Sendable (URL) async throws -> Void
    ) async throws {
        try await coinbase.run { sourceURL in
            let priceSettings = try BTCPriceSettings(
                environment: EnvironmentReader([
                    "PRICE_SOURCE_URL": sourceURL, "PRICE_POLL_INTERVAL_MS": "100", "PRICE_MAX_AGE_S": "\(priceMaxAge)",
                ]))
            let btcPrice = try await buildBTCPrice(
                settings: priceSettings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
            try await btcPrice.test(.live) { priceClient in
                try await body(URL(string: "http://127.0.0.1:\(priceClient.port!)")!)
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

// MARK: - Faults

extension WritePath {
    /// Another session that holds the BTC total's row lock until `ROLLBACK` (and at most 60 s, so that a
    /// test that fails does not hang).
    func holdTotal() throws -> PostgresConnection {
        let holder = try database.connect()
        try holder.query("SET idle_in_transaction_session_timeout = 60000")
        try holder.query("BEGIN")
        try holder.query("SELECT total FROM btc_total FOR UPDATE")
        return holder
    }

    /// Backends of this database waiting for a lock right now.
    func lockWaiters() throws -> Int {
        let rows = try database.connect().query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return Int(rows.first?["n"] ?? "") ?? -1
    }

    /// `/ready`'s status and body.
    static func ready(_ client: any TestClientProtocol) async throws -> (status: HTTPResponse.Status, body: String) {
        let response = try await client.execute(uri: "/ready", method: .get)
        return (response.status, response.text)
    }

    /// Sends `bodies` at once and returns every answer, in the order of `bodies`; `clock` notes when each came.
    static func putAll(_ client: any TestClientProtocol, _ bodies: [String], clock: AnswerClock = AnswerClock())
        async throws -> [TestResponse]
    {
        try await withThrowingTaskGroup(of: (Int, TestResponse).self) { group in
            for (index, body) in bodies.enumerated() {
                group.addTask {
                    let answer = try await put(client, body: body)
                    clock.record()
                    return (index, answer)
                }
            }
            var answers: [(Int, TestResponse)] = []
            for try await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}

/// When each answer arrived.
final class AnswerClock: Sendable {
    private let times = Mutex<[ContinuousClock.Instant]>([])

    func record() { times.withLock { $0.append(.now) } }

    var count: Int { times.withLock { $0.count } }

    /// The first and the last arrival.
    var range: (first: ContinuousClock.Instant, last: ContinuousClock.Instant) {
        times.withLock { ($0.min() ?? .now, $0.max() ?? .now) }
    }
}
