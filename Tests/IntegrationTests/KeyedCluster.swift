import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import TestSupport
import Testing

@testable import BuyOrdersAdmin
@testable import CreateBuyOrder
@testable import FetchBuyOrders
@testable import ReadModelSync

/// The whole cluster with API keys on (no `ANONYMOUS_CLIENT`), two instances of each API service over
/// one write and one read model, the relay and read-model-sync projecting clients and keys, on a
/// virtual host of the test's own. Clients and keys are made as `buyorders-admin` makes them.
struct KeyedCluster: Sendable {
    let write: TestDatabase
    let read: TestDatabase
    /// Two instances of create-buy-order, then two of fetch-buy-orders.
    let creates: [any TestClientProtocol]
    let fetches: [any TestClientProtocol]

    static func run(access: AccessSettings = AccessSettings(), _ body: @Sendable (KeyedCluster) async throws -> Void)
        async throws
    {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let virtualHost = try await onOwnThread { try TestVirtualHost.create() }
        defer { virtualHost.delete() }
        let amqp = AMQPSettings(endpoint: try AMQPEndpoint(url: virtualHost.url))
        let logger = TestServers.logger
        try await withSimulatedPrices { priceURL in
            @Sendable func create() async throws -> some ApplicationProtocol {
                try await buildCreateBuyOrder(
                    settings: CreateBuyOrderSettings(
                        server: HTTPServerSettings(port: 0), writeDatabase: write.settings(),
                        btcPriceURL: priceURL,
                        pricePollInterval: .milliseconds(100), access: access, amqp: amqp),
                    logger: logger, metrics: PrometheusCollectorRegistry())
            }
            @Sendable func fetch() async throws -> some ApplicationProtocol {
                try await buildFetchBuyOrders(
                    settings: FetchBuyOrdersSettings(server: HTTPServerSettings(port: 0), readDatabase: read.settings(), access: access),
                    logger: logger, metrics: PrometheusCollectorRegistry())
            }
            let sync = try await buildReadModelSync(
                settings: ReadModelSyncSettings(server: HTTPServerSettings(port: 0), readDatabase: read.settings(), amqp: amqp),
                logger: logger, metrics: PrometheusCollectorRegistry())
            try await sync.test(.router) { _ in
                try await create().test(.router) { create1 in
                    try await create().test(.router) { create2 in
                        try await fetch().test(.router) { fetch1 in
                            try await fetch().test(.router) { fetch2 in
                                let cluster = KeyedCluster(
                                    write: write, read: read, creates: [create1, create2], fetches: [fetch1, fetch2])
                                for client in cluster.creates + cluster.fetches {
                                    let ready = try await eventually(within: .seconds(20)) {
                                        try await client.execute(uri: "/ready", method: .get).status == .ok
                                    }
                                    guard ready else { throw NotReady("an instance did not become ready") }
                                }
                                try await body(cluster)
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: - Admin, as buyorders-admin does it

    var admin: AdminStore { get throws { AdminStore(connection: try write.connect()) } }

    func makeClient(_ name: String) throws {
        _ = try admin.createClient(name)
    }

    /// A new key's token.
    func makeKey(for client: String, scopes: Set<APIScope> = Set(APIScope.allCases)) throws -> String {
        try admin.createKey(client: client, scopes: scopes, label: "test").0.token
    }

    /// Waits until the read model holds the key (fetch-buy-orders checks keys there).
    func awaitProjected(_ token: String) async throws {
        let keyID = APIKey(token: token[...])!.keyID
        try await expectEventually(within: .seconds(20)) {
            try !read.connect().query("SELECT 1 FROM api_key WHERE key_id = \(keyID)").isEmpty
        }
    }

    // MARK: - Requests

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    func put(
        _ client: any TestClientProtocol, headers: HTTPFields, currency: String = "USD", amount: String = "10.00",
        key: UUID = UUID()
    ) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        let body = #"{"currency":"\#(currency)","amount":"\#(amount)","idempotence_key":"\#(key.lowercaseText)"}"#
        return try await client.execute(uri: "/buy_order", method: .put, headers: fields, body: ByteBuffer(string: body))
    }

    func get(_ client: any TestClientProtocol, _ uri: String, headers: HTTPFields) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}
