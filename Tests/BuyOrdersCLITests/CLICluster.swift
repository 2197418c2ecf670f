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

/// The cluster `buyorders` talks to, with API keys on: btc-price (simulated prices), create-buy-order and
/// fetch-buy-orders on live loopback ports, read-model-sync projecting, each model in a database of the
/// test's own, on a virtual host of its own.
struct CLICluster: Sendable {
    let write: TestDatabase
    let read: TestDatabase
    let pricePort: Int
    let createPort: Int
    let fetchPort: Int
    /// create-buy-order and fetch-buy-orders in this process, for the test's own requests.
    let create: any TestClientProtocol
    let fetch: any TestClientProtocol

    static func run(_ body: @Sendable (CLICluster) async throws -> Void) async throws {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel, on: .streams)  // watch reads the stream
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
            let sync = try await buildReadModelSync(
                settings: ReadModelSyncSettings(server: HTTPServerSettings(port: 0), readDatabase: read.settings(), amqp: amqp),
                logger: logger, metrics: PrometheusCollectorRegistry())
            let fetch = try await buildFetchBuyOrders(
                settings: FetchBuyOrdersSettings(
                    server: HTTPServerSettings(port: 0), readDatabase: read.settings(), access: AccessSettings()),
                logger: logger, metrics: PrometheusCollectorRegistry())
            try await sync.test(.router) { _ in
                try await create.test(.live) { createClient in
                    try await fetch.test(.live) { fetchClient in
                        let ready = try await eventually(within: .seconds(30)) {
                            try await createClient.execute(uri: "/ready", method: .get).status == .ok
                        }
                        guard ready else { throw NotReady("create-buy-order did not become ready") }
                        try await body(
                            CLICluster(
                                write: write, read: read, pricePort: priceClient.port!, createPort: createClient.port!,
                                fetchPort: fetchClient.port!, create: createClient, fetch: fetchClient))
                    }
                }
            }
        }
    }

    var admin: AdminStore { get throws { AdminStore(connection: try write.connect()) } }

    /// A new client with a key of `scopes`, once fetch-buy-orders can check the key.
    func client(_ name: String, scopes: Set<APIScope> = Set(APIScope.allCases)) async throws -> String {
        _ = try admin.createClient(name)
        return try await key(for: name, scopes: scopes)
    }

    func key(for client: String, scopes: Set<APIScope> = Set(APIScope.allCases)) async throws -> String {
        let token = try admin.createKey(client: client, scopes: scopes, label: "test").0.token
        let keyID = APIKey(token: token[...])!.keyID
        try await expectEventually(within: .seconds(30)) {
            try !read.connect().query("SELECT 1 FROM api_key WHERE key_id = \(keyID)").isEmpty
        }
        return token
    }

    /// The environment that points `buyorders` at this cluster (or at other ports, for a proxy).
    func environment(
        key: String?, createPort: Int? = nil, fetchPort: Int? = nil, pricePort: Int? = nil
    ) -> [String: String] {
        [
            "BUYORDERS_API_KEY": key ?? "",
            "BUYORDERS_CREATE_URL": "http://127.0.0.1:\(createPort ?? self.createPort)",
            "BUYORDERS_FETCH_URL": "http://127.0.0.1:\(fetchPort ?? self.fetchPort)",
            "BUYORDERS_PRICE_URL": "http://127.0.0.1:\(pricePort ?? self.pricePort)",
        ]
    }

    /// The test's own GET on fetch-buy-orders, as JSON.
    func getJSON(_ uri: String, key: String) async throws -> [String: Any] {
        let response = try await fetch.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(key)"])
        #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
        return (try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]) ?? [:]
    }

    /// Waits until the read model holds `count` orders of `client`.
    func awaitProjected(_ count: Int, client: String) async throws {
        try await expectEventually(within: .seconds(30)) {
            let rows = try read.connect().query("SELECT count(*) AS n FROM buy_order WHERE client_id = \(client)")
            return Int(rows.first?["n"] ?? "") == count
        }
    }
}

/// `buyorders` run to its end as a separate process: its exit status, stdout and stderr.
struct CLIRun: Sendable, CustomStringConvertible {
    let status: Int32
    let out: String
    let err: String

    static func buyorders(_ arguments: [String], environment: [String: String], within limit: Duration = .seconds(60))
        async throws -> CLIRun
    {
        let output = try await CommandOutput.product("buyorders", arguments, environment: environment, within: limit)
        guard case .exited(let status) = output.termination else {
            Issue.record("buyorders \(arguments) \(output.termination)")
            return CLIRun(status: -1, out: output.stdout, err: output.stderr)
        }
        return CLIRun(status: status, out: output.stdout, err: output.stderr)
    }

    var lines: [String] { out.split(separator: "\n").map(String.init) }

    var description: String { "status \(status)\nstdout:\n\(out)\nstderr:\n\(err)" }
}
