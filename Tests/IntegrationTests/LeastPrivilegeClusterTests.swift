import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import BTCPrice
@testable import BuyOrdersAdmin
@testable import CreateBuyOrder
@testable import FetchBuyOrders
@testable import ReadModelSync

/// Every service on the database role and broker user run.sh gives it, on servers of the test's own
/// that ask for passwords and have no guest: each does all of its work with only what was granted.
@Suite struct LeastPrivilegeClusterTests {
    private static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    private static func put(_ client: any TestClientProtocol, _ token: String, key: UUID) async throws -> TestResponse {
        let body = #"{"currency":"USD","amount":"123.45","idempotence_key":"\#(key.lowercaseText)"}"#
        var headers = bearer(token)
        headers[.contentType] = "application/json"
        return try await client.execute(uri: "/buy_order", method: .put, headers: headers, body: ByteBuffer(string: body))
    }

    private static func orderIDs(_ response: TestResponse) -> [String] {
        let json = (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any]
        return (json?["rows"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    private static func count(_ sql: PostgresQuery, _ connection: PostgresConnection) throws -> String? {
        try connection.query(sql).first?["n"]
    }

    @Test func everyServiceDoesItsWholeJobOnItsOwnRoleAndUser() async throws {
        try await RoleServer.run { roles in
            try await UserBroker.run { broker in
                try await Self.exercise(roles, broker)
            }
        }
    }

    private static func exercise(_ roles: RoleServer, _ broker: UserBroker) async throws {
        let logger = TestServers.logger
        let owner = try roles.connect("buyorders", .writeModel)
        let admin = AdminStore(connection: owner)
        _ = try admin.createClient("acme")
        let token = try admin.createKey(client: "acme", scopes: Set(APIScope.allCases), label: "test").0.token

        let prices = try await buildBTCPrice(
            settings: try BTCPriceSettings(
                environment: EnvironmentReader(["PRICE_SOURCE": "simulated", "PRICE_POLL_INTERVAL_MS": "100"])),
            logger: logger, metrics: PrometheusCollectorRegistry())
        let sync = try await buildReadModelSync(
            settings: ReadModelSyncSettings(
                server: HTTPServerSettings(port: 0), readDatabase: try roles.settings("read_model_sync", .readModel),
                amqp: try broker.settings("read_model_sync")),
            logger: logger, metrics: PrometheusCollectorRegistry())
        let fetch = try await buildFetchBuyOrders(
            settings: FetchBuyOrdersSettings(
                server: HTTPServerSettings(port: 0), readDatabase: try roles.settings("fetch_buy_orders", .readModel)),
            logger: logger, metrics: PrometheusCollectorRegistry())
        try await prices.test(.live) { priceClient in
            try await sync.test(.router) { syncClient in
                // Only read-model-sync may make the live queue (BrokerPermissionTests): the relay comes after it.
                try await expectEventually(within: .seconds(30)) {
                    try await syncClient.execute(uri: "/ready", method: .get).status == .ok
                }
                let create = try await buildCreateBuyOrder(
                    settings: CreateBuyOrderSettings(
                        server: HTTPServerSettings(port: 0), writeDatabase: try roles.settings("create_buy_order", .writeModel),
                        btcPriceURL: URL(string: "http://127.0.0.1:\(priceClient.port!)")!,
                        pricePollInterval: .milliseconds(100), amqp: try broker.settings("create_buy_order")),
                    logger: logger, metrics: PrometheusCollectorRegistry())
                try await create.test(.router) { createClient in
                    try await fetch.test(.router) { fetchClient in
                        for client in [createClient, fetchClient] {
                            try await expectEventually(within: .seconds(30)) {
                                try await client.execute(uri: "/ready", method: .get).status == .ok
                            }
                        }
                        try await Self.ordersTravelThrough(
                            roles, broker, token: token, admin: admin, create: createClient, fetch: fetchClient)
                    }
                }
            }
        }
    }

    private static func ordersTravelThrough(
        _ roles: RoleServer, _ broker: UserBroker, token: String, admin: AdminStore, create: any TestClientProtocol,
        fetch: any TestClientProtocol
    ) async throws {
        // An order: the key, the total's lock, the order, its key, its outbox row, the commit signal; then a replay.
        let key = UUID()
        let first = try await Self.put(create, token, key: key)
        #expect(first.status == .ok, "\(String(buffer: first.body))")
        let replay = try await Self.put(create, token, key: key)
        #expect(replay.status == .ok && replay.headers[.idempotentReplayed] == "true")
        let writeModel = try roles.connect("buyorders", .writeModel)
        #expect(try Self.count("SELECT count(*) AS n FROM buy_order WHERE btc_amount = (SELECT total FROM btc_total)", writeModel) == "1")

        // The relay publishes and deletes the row; read-model-sync projects the key and the order; fetch-buy-orders pages.
        try await expectEventually(within: .seconds(20)) {
            Self.orderIDs(try await fetch.execute(uri: "/buy_orders", method: .get, headers: Self.bearer(token))).count == 1
        }
        #expect(try Self.count("SELECT count(*) AS n FROM outbox", writeModel) == "0")

        // An outbox row the relay cannot render is moved to outbox_parked.
        try writeModel.query(
            "INSERT INTO outbox (event_id, client_id, routing_key, buy_order_id) VALUES (gen_random_uuid(), 'acme', 'buy_order.created', gen_random_uuid())")
        try writeModel.query("SELECT pg_notify(\(Outbox.channel), '')")
        try await expectEventually(within: .seconds(20)) { try Self.count("SELECT count(*) AS n FROM outbox_parked", writeModel) == "1" }

        // A message read-model-sync cannot apply is parked through the dead-letter exchange; the operator
        // lists it and redrives it through the default exchange (it is parked again).
        let relay = try AMQPConnection(settings: try broker.settings("create_buy_order"))
        defer { relay.close() }
        try relay.publish(AMQPMessage(exchange: "buy_orders", routingKey: "buy_order.created", body: Array("{}".utf8), messageID: "poison"))
        let operator_ = try AMQPConnection(settings: try broker.settings("read_model_sync"))
        defer { operator_.close() }
        let deadLetters = DeadLetterAdmin(connection: operator_, topology: AMQPTopology())
        try await expectEventually(within: .seconds(20)) { try deadLetters.list().map(\.messageID) == ["poison"] }
        // read-model-sync's own sweep holds the parked messages for a moment now and then: try again until one moved.
        var redriven = 0
        try await expectEventually(within: .seconds(20)) {
            redriven += try deadLetters.redrive { _ in true }.count
            return redriven > 0
        }
        try await expectEventually(within: .seconds(20)) { try deadLetters.list().map(\.messageID) == ["poison"] }

        // verify and rebuild read the write model and overwrite the read model as read_model_sync.
        let models = ReadModelAdmin(
            write: try roles.connect("read_model_sync", .writeModel), read: try roles.connect("read_model_sync", .readModel))
        #expect(try models.verify() == nil)
        #expect(try models.rebuild() == 1)

        // A revoked key reaches the read model (an UPDATE of read-model-sync's) and both services refuse it.
        _ = try admin.revokeKey(id: APIKey(token: token[...])!.keyID)
        try await expectEventually(within: .seconds(20)) {
            try await fetch.execute(uri: "/buy_orders", method: .get, headers: Self.bearer(token)).status == .unauthorized
        }
        #expect(try await Self.put(create, token, key: UUID()).status == .unauthorized)
    }
}
