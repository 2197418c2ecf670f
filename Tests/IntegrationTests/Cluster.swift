import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Synchronization
import TestSupport

@testable import BTCPrice
@testable import CreateBuyOrder
@testable import ReadModelSync

/// The write and the read path of one test, in this process: btc-price with simulated prices on a
/// loopback port, create-buy-order with its outbox relay and read-model-sync with its consumer, both
/// on the broker `amqp`, each model in a database of the test's own.
struct Cluster: Sendable {
    let write: TestDatabase
    let read: TestDatabase
    /// What create-buy-order and read-model-sync count (their `/metrics`).
    let createBuyOrderMetrics = PrometheusCollectorRegistry()
    let readModelSyncMetrics = PrometheusCollectorRegistry()

    /// Runs the services while `body` runs with a client of create-buy-order (once it is ready).
    static func run(amqp: AMQPSettings, _ body: @Sendable (any TestClientProtocol, Cluster) async throws -> Void)
        async throws
    {
        let cluster = Cluster(write: try TestDatabase.create(.writeModel), read: try TestDatabase.create(.readModel))
        let logger = TestServers.logger
        try await withSimulatedPrices { priceURL in
            let createBuyOrder = try await buildCreateBuyOrder(
                settings: CreateBuyOrderSettings(
                    server: HTTPServerSettings(port: 8777), writeDatabase: cluster.write.settings(),
                    btcPriceURL: priceURL,
                    pricePollInterval: .milliseconds(100), access: .anonymousDefault, amqp: amqp),
                logger: logger, metrics: cluster.createBuyOrderMetrics)
            let readModelSync = try await buildReadModelSync(
                settings: ReadModelSyncSettings(
                    server: HTTPServerSettings(port: 8780), readDatabase: cluster.read.settings(), amqp: amqp),
                logger: logger, metrics: cluster.readModelSyncMetrics)
            try await readModelSync.test(.router) { _ in
                try await createBuyOrder.test(.router) { client in
                    let ready = try await eventually(within: .seconds(15)) {
                        try await client.execute(uri: "/ready", method: .get).status == .ok
                    }
                    guard ready else { throw NotReady("create-buy-order did not become ready") }
                    try await body(client, cluster)
                }
            }
        }
    }

    func count(_ sql: PostgresQuery, in database: TestDatabase) throws -> Int {
        Int(try database.connect().query(sql).first?["n"] ?? "") ?? -1
    }

    var projectedCount: Int { get throws { try count("SELECT count(*) AS n FROM buy_order", in: read) } }

    /// The outbox holds only unsent events: the relay deletes each once the broker confirmed it.
    var unsentEvents: Int {
        get throws { try count("SELECT count(*) AS n FROM outbox", in: write) }
    }

    var projectedIDs: [String] {
        get throws { try read.connect().query("SELECT id::text AS id FROM buy_order").compactMap { $0["id"] } }
    }
}

/// Runs btc-price with simulated prices on a loopback port while `body` runs with its URL.
func withSimulatedPrices(_ body: @Sendable (URL) async throws -> Void) async throws {
    let prices = try await buildBTCPrice(
        settings: try BTCPriceSettings(
            environment: EnvironmentReader(["PRICE_SOURCE": "simulated", "PRICE_POLL_INTERVAL_MS": "100"])),
        logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
    try await prices.test(.live) { priceClient in
        try await body(URL(string: "http://127.0.0.1:\(priceClient.port!)")!)
    }
}

/// Creates orders one after another, as a client would, until stopped or `limit` requests were sent;
/// remembers the id of every accepted order.
final class OrderFeed: Sendable {
    private let acceptedIDs = Mutex<[String]>([])
    private let refusals = Atomic(0)
    private let stopped = Atomic(false)

    var accepted: [String] { acceptedIDs.withLock { $0 } }
    var acceptedCount: Int { acceptedIDs.withLock { $0.count } }
    var refused: Int { refusals.load(ordering: .relaxed) }

    func stop() { stopped.store(true, ordering: .relaxed) }

    func run(_ client: any TestClientProtocol, limit: Int) async throws {
        for _ in 0..<limit where !stopped.load(ordering: .relaxed) {
            let body = #"{"currency":"USD","amount":"10.00","idempotence_key":"\#(UUID().uuidString.lowercased())"}"#
            let response = try await client.execute(
                uri: "/buy_order", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            let json = try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
            if response.status == .ok, let order = json?["buy_order"] as? [String: Any], let id = order["id"] as? String {
                acceptedIDs.withLock { $0.append(id) }
            } else {
                refusals.add(1, ordering: .relaxed)
            }
            // Paced (about 100 orders/s at most), so the tests running beside it keep their share of
            // the two cores: several of them rely on one-second price ages.
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
