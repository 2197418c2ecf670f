import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import TestSupport
import Testing

@testable import BTCPrice
@testable import CreateBuyOrder
@testable import FetchBuyOrders
@testable import ReadModelSync

/// Every route of every service, over real HTTP: each method a path does not support is a 405 problem
/// with `Allow`, and HEAD on a GET route answers GET's status and head without a body. The routes are
/// those of the service's OpenAPI document.
@Suite struct HTTPMethodTests {
    /// A route: its template in the document, a URL of it, and the methods it supports.
    struct Route: Sendable, CustomStringConvertible {
        let template: String
        let url: String
        let methods: [HTTPRequest.Method]
        var description: String { template }

        init(_ template: String, _ url: String? = nil, _ methods: HTTPRequest.Method...) {
            self.template = template
            self.url = url ?? template
            self.methods = methods
        }
    }

    static let operational = [
        Route("/health", nil, .get), Route("/ready", nil, .get), Route("/metrics", nil, .get),
        Route("/openapi.yaml", nil, .get),
    ]
    static let refused: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, .query]

    @Test func createBuyOrder() async throws {
        let write = try TestDatabase.create(.writeModel)
        let app = try await buildCreateBuyOrder(
            settings: CreateBuyOrderSettings(
                server: HTTPServerSettings(port: 0), writeDatabase: write.settings(),
                btcPriceURL: URL(string: "http://127.0.0.1:9")!, access: .anonymousDefault),
            logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await Self.check(
            app, document: "create-buy-order",
            routes: Self.operational + [
                Route("/buy_order", nil, .put), Route("/v1/buy_order", nil, .put), Route("/v1/quotes", nil, .post),
            ])
    }

    @Test func fetchBuyOrders() async throws {
        let read = try TestDatabase.create(.readModel)
        let app = try await buildFetchBuyOrders(
            settings: FetchBuyOrdersSettings(
                server: HTTPServerSettings(port: 0), readDatabase: read.settings(), access: .anonymousDefault),
            logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        let id = UUID().lowercaseText
        try await Self.check(
            app, document: "fetch-buy-orders",
            routes: Self.operational + [
                Route("/buy_orders", "/buy_orders?page_size=2", .get), Route("/v1/buy_orders", nil, .get),
                Route("/buy_orders/{id}", "/buy_orders/\(id)", .get), Route("/v1/buy_orders/{id}", "/v1/buy_orders/\(id)", .get),
                Route("/v1/activity", nil, .get), Route("/v1/buy_orders/stream", nil, .get),
            ])
    }

    @Test func btcPrice() async throws {
        let app = try await buildBTCPrice(
            settings: try BTCPriceSettings(
                environment: EnvironmentReader(["PRICE_SOURCE": "simulated", "PRICE_POLL_INTERVAL_MS": "100"])),
            logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await Self.check(
            app, document: "btc-price", routes: Self.operational + [Route("/v1/price", "/v1/price?currency=EUR", .get)])
    }

    @Test func readModelSync() async throws {
        let read = try TestDatabase.create(.readModel)
        let app = try await buildReadModelSync(
            settings: ReadModelSyncSettings(server: HTTPServerSettings(port: 0), readDatabase: read.settings()),
            logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await Self.check(app, document: "read-model-sync", routes: Self.operational)
    }

    static func check(_ app: some ApplicationProtocol, document: String, routes: [Route]) async throws {
        #expect(Set(routes.map(\.template)) == Set(try documentedPaths(document)))
        try await app.test(.live) { client in
            for route in routes {
                let allow = refused.filter { route.methods.contains($0) || ($0 == .head && route.methods.contains(.get)) }
                for method in refused where !allow.contains(method) {
                    let response = try await client.execute(uri: route.url, method: method)
                    #expect(response.status == .methodNotAllowed, "\(method) \(route.url): \(response.status)")
                    #expect(response.headers[.allow] == allow.map(\.rawValue).joined(separator: ", "), "\(method) \(route.url)")
                    if method != .head {
                        #expect(response.headers[.contentType] == "application/problem+json")
                        #expect(String(buffer: response.body).contains(#""type":"/problems/method-not-allowed""#))
                    }
                }
                // A stream's GET never ends, so its GET and HEAD are not compared here (StreamRouteTests reads it).
                guard route.methods.contains(.get), route.template != "/v1/buy_orders/stream" else { continue }
                let get = try await client.execute(uri: route.url, method: .get)
                let head = try await client.execute(uri: route.url, method: .head)
                #expect(head.status == get.status, "HEAD \(route.url)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "HEAD \(route.url)")
                #expect(head.body.readableBytes == 0, "HEAD \(route.url)")
                if route.template != "/metrics" && route.template != "/ready" {
                    #expect(head.headers[.contentLength] == String(get.body.readableBytes), "HEAD \(route.url)")
                }
            }
            // An unsupported method on a path no route has is still a 404.
            #expect(try await client.execute(uri: "/no-such-route", method: .delete).status == .notFound)
        }
    }

    /// The paths of `openapi/<name>.yaml`: the keys two spaces in under `paths:`.
    static func documentedPaths(_ name: String) throws -> [String] {
        let file = TestServers.repositoryRoot.appendingPathComponent("openapi/\(name).yaml")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "paths:") else { return [] }
        var paths: [String] = []
        for line in lines[(start + 1)...] {
            if let first = line.first, first != " " { break }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                paths.append(String(line.dropFirst(2).dropLast()))
            }
        }
        return paths
    }
}
