import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import TestSupport
import Testing

@testable import BTCPrice
@testable import BuyOrdersAdmin
@testable import CreateBuyOrder
@testable import FetchBuyOrders
@testable import ReadModelSync

/// The cluster with API keys on, for streams and activity: create-buy-order, two read-model-sync
/// instances competing on one queue (so their transactions commit concurrently), and fetch-buy-orders
/// on a live port (streams need a real socket), on a virtual host of the test's own.
struct StreamCluster: Sendable {
    let write: TestDatabase
    let read: TestDatabase
    let create: any TestClientProtocol
    /// fetch-buy-orders' port.
    let fetchPort: Int
    let fetch: any TestClientProtocol

    static func run(_ body: @Sendable (StreamCluster) async throws -> Void) async throws {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel, on: .streams)
        let virtualHost = try await onOwnThread { try TestVirtualHost.create() }
        defer { virtualHost.delete() }
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: virtualHost.url))
        let logger = TestServers.logger
        let prices = try await buildBTCPrice(
            settings: try BTCPriceSettings(
                environment: EnvironmentReader(["PRICE_SOURCE": "simulated", "PRICE_POLL_INTERVAL_MS": "100"])),
            logger: logger, metrics: PrometheusCollectorRegistry())
        try await prices.test(.live) { priceClient in
            let create = try await buildCreateBuyOrder(
                settings: CreateBuyOrderSettings(
                    server: HTTPServerSettings(port: 0), writeDatabase: write.settings(),
                    btcPriceURL: URL(string: "http://127.0.0.1:\(priceClient.port!)")!,
                    pricePollInterval: .milliseconds(100), access: AccessSettings(), amqp: amqp),
                logger: logger, metrics: PrometheusCollectorRegistry())
            @Sendable func sync() async throws -> some ApplicationProtocol {
                try await buildReadModelSync(
                    settings: ReadModelSyncSettings(server: HTTPServerSettings(port: 0), readDatabase: read.settings(), amqp: amqp),
                    logger: logger, metrics: PrometheusCollectorRegistry())
            }
            let fetch = try await buildFetchBuyOrders(
                settings: FetchBuyOrdersSettings(server: HTTPServerSettings(port: 0), readDatabase: read.settings(), access: AccessSettings()),
                logger: logger, metrics: PrometheusCollectorRegistry())
            try await sync().test(.router) { _ in
                try await sync().test(.router) { _ in
                    try await create.test(.router) { createClient in
                        try await fetch.test(.live) { fetchClient in
                            let ready = try await eventually(within: .seconds(30)) {
                                try await createClient.execute(uri: "/ready", method: .get).status == .ok
                            }
                            guard ready else { throw NotReady("create-buy-order did not become ready") }
                            try await body(
                                StreamCluster(
                                    write: write, read: read, create: createClient, fetchPort: fetchClient.port!,
                                    fetch: fetchClient))
                        }
                    }
                }
            }
        }
    }

    var admin: AdminStore { get throws { AdminStore(connection: try write.connect()) } }

    /// A new client with a key of both scopes, once fetch-buy-orders can check the key.
    func client(_ name: String) async throws -> String {
        _ = try admin.createClient(name)
        let token = try admin.createKey(client: name, scopes: Set(APIScope.allCases), label: "test").0.token
        let keyID = APIKey(token: token[...])!.keyID
        try await expectEventually(within: .seconds(30)) {
            try !read.connect().query("SELECT 1 FROM api_key WHERE key_id = \(keyID)").isEmpty
        }
        return token
    }

    /// `count` orders of the key's client, one after another; their ids.
    func orders(_ count: Int, key: String, currency: String = "USD") async throws -> [String] {
        var ids: [String] = []
        for _ in 0..<count {
            let body = #"{"currency":"\#(currency)","amount":"10.00","idempotence_key":"\#(UUID().lowercaseText)"}"#
            let response = try await create.execute(
                uri: "/buy_order", method: .put, headers: [.contentType: "application/json", .authorization: "Bearer \(key)"],
                body: ByteBuffer(string: body))
            let json = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
            guard response.status == .ok, let id = (json?["buy_order"] as? [String: Any])?["id"] as? String else {
                throw NotReady("order refused: \(response.status) \(String(buffer: response.body))")
            }
            ids.append(id)
        }
        return ids
    }

    /// A stream of the key's client, once it is open.
    func stream(key: String?, query: String = "", lastEventID: String? = nil) async throws -> EventStreamConnection {
        var headers = key.map { ["Authorization: Bearer \($0)"] } ?? []
        if let lastEventID { headers.append("Last-Event-ID: \(lastEventID)") }
        return try await EventStreamConnection.open(port: fetchPort, path: "/v1/buy_orders/stream\(query)", headers: headers)
    }
}
