import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// fetch-buy-orders on a private read model with a streaming standby, its READ_DB_URL naming both with
/// `target_session_attrs=prefer-standby`, as the production overlay does.
@Suite(.serialized) struct StandbyReadTests {
    /// Client sessions of the service on `database`'s server (not ours, not replication).
    static func serviceSessions(on database: TestDatabase) throws -> Int {
        Int(
            try database.connect().query(
                """
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = 'read_model' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                """
            ).first?["n"] ?? "") ?? -1
    }

    static func rows(_ client: any TestClientProtocol) async throws -> Int? {
        let response = try await client.execute(uri: "/buy_orders?page_size=100", method: .get)
        guard response.status == .ok else { return nil }
        return try JSONDecoder().decode(PageBody.self, from: Data(String(buffer: response.body).utf8)).rows.count
    }

    @Test func readsFromTheStandbyAndKeepsServingWhenThePrimaryStopsAndTheStandbyIsPromoted() async throws {
        try await withPrivateServer(.postgres) { primaryServer in
            let primary = try primaryServer.database("read_model", migrating: .readModel)
            try OrderFixtures(database: primary).insert(count: 3)
            let standbyServer = try await onOwnThread { try PrivateStandby.start(of: primaryServer) }
            defer { standbyServer.stop() }
            let standby = standbyServer.database("read_model")
            try await expectEventually(within: .seconds(30)) {
                (try? standby.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"]) == "3"
            }
            // The primary is listed first: prefer-standby still picks the standby.
            let environment = EnvironmentReader([
                "READ_DB_URL":
                    "postgresql://postgres@127.0.0.1:\(primaryServer.port),127.0.0.1:\(standbyServer.port)/read_model"
                    + "?target_session_attrs=prefer-standby",
                "ANONYMOUS_CLIENT": "default",
            ])
            let app = try await buildFetchBuyOrders(
                settings: try FetchBuyOrdersSettings(environment: environment), logger: TestServers.logger,
                metrics: PrometheusCollectorRegistry())
            try await app.test(.router) { client in
                #expect(try await Self.rows(client) == 3)
                #expect(try Self.serviceSessions(on: standby) >= 1)
                #expect(try Self.serviceSessions(on: primary) == 0)

                try await onOwnThread { try primaryServer.pause() }
                for _ in 0..<20 { #expect(try await Self.rows(client) == 3) }
                #expect(try await client.execute(uri: "/ready", method: .get).status == .ok)

                try await onOwnThread { try standbyServer.promote() }
                try OrderFixtures(database: standby).insert(count: 1, firstSequence: 100)
                try await expectEventually(within: .seconds(10)) { try await Self.rows(client) == 4 }
                #expect(try await client.execute(uri: "/ready", method: .get).status == .ok)
            }
        }
    }
}
