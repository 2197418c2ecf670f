import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// The read database of a private PostgreSQL restarted and stopped under fetch-buy-orders.
@Suite(.serialized) struct DatabaseOutageTests {
    @Test func pagesAndReadinessWorkRightAfterARestartAndAreRetryableWhileTheDatabaseIsDown() async throws {
        let server = try await onOwnThread { try PrivateServer.start(.postgres) }
        defer { server.stop() }
        let database = try server.database("read_model", migrating: .readModel)
        let orders = try OrderFixtures(database: database).insert(count: 3)
        let logs = LogRecorder()
        let app = try await buildFetchBuyOrders(
            settings: FetchBuyOrdersSettings(server: HTTPServerSettings(port: 0), readDatabase: database.settings(), access: .anonymousDefault),
            logger: logs.logger(), metrics: PrometheusCollectorRegistry())
        try await app.test(.router) { client in
            #expect(try await client.page("/buy_orders").rows.count == 3)

            // Each restart kills every pooled connection: the first page and the first /ready still work.
            try await onOwnThread { try server.restart() }
            try await client.execute(uri: "/buy_orders", method: .get) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            try await onOwnThread { try server.restart() }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }

            // Stopped: a retryable 503 for every request, never a 500, and one log line for the outage.
            try await onOwnThread { try server.pause() }
            for uri in Array(repeating: "/buy_orders?page_size=5", count: 30) + ["/v1/buy_orders/\(orders[0].id)"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .serviceUnavailable, "\(uri): \(String(buffer: response.body))")
                    #expect(response.headers[.retryAfter] != nil)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            // The pool's lines; the stream fan-out logs its own connection's outages apart.
            #expect(logs.count(exactly: "database unreachable, failing fast until it answers") == 1)

            try await onOwnThread { try server.resume() }
            try await expectEventually(within: .seconds(20)) {
                try await client.execute(uri: "/buy_orders", method: .get).status == .ok
            }
            #expect(logs.count(exactly: "database reachable again") == 1)
            #expect(logs.count(exactly: "database unreachable, failing fast until it answers") == 1)
            #expect(logs.count("unexpected error") == 0)
        }
    }
}
