import Core
import Foundation
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// fetch-buy-orders, as its builder makes it, drained as SIGTERM drains it (its ServiceGroup's graceful
/// shutdown) while one request waits on a table lock held by the test, one connection is kept alive and
/// idle, and one HTTP/1.0 client has connected but not yet asked.
@Suite struct GracefulDrainTests {
    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n" }

    @Test func answersEveryRequestThatArrivesWhileDrainingAndClosesAfterIt() async throws {
        let database = try TestDatabase.create(.readModel)
        try OrderFixtures(database: database).insert(count: 3)
        // The page waits on the test's lock while the drain runs: longer than the services' 2 s lock timeout.
        var readDatabase = database.settings()
        readDatabase.options.lockTimeout = .seconds(60)
        // The idle connections get 10 s, not the default 1 s, to send their last requests: the
        // test sends them only once it has seen the listener close, which took over 3 s on a loaded machine.
        let settings = FetchBuyOrdersSettings(
            server: HTTPServerSettings(port: 0, drainGrace: .seconds(10)), readDatabase: readDatabase,
            access: .anonymousDefault)
        let app = try await buildFetchBuyOrders(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await withLiveApplication(app) { live in
            let idle = try await RawHTTPConnection.open(port: live.port)
            try await idle.send(Self.get("/health"))
            let first = try await idle.response()
            #expect(first.status == 200 && first.headers["connection"] == nil)
            let http10 = try await RawHTTPConnection.open(port: live.port)
            let busy = try await RawHTTPConnection.open(port: live.port)

            let lock = try database.connect()
            _ = try lock.query("BEGIN")
            _ = try lock.query("LOCK TABLE buy_order IN ACCESS EXCLUSIVE MODE")
            try await busy.send(Self.get("/buy_orders?page_size=2"))
            try await expectEventually(within: .seconds(20)) { try Self.sessionsWaitingOnALock(in: database) > 0 }

            await live.beginGracefulShutdown()
            try await expectEventually(within: .seconds(20)) { !(await Self.accepts(port: live.port)) }

            // A request sent on a kept-alive connection after the listener closed is answered, as the last.
            try await idle.send(Self.get("/health"))
            let drained = try await idle.response()
            #expect(drained.status == 200)
            #expect(drained.headers["connection"] == "close")
            #expect(await idle.closesByServer(within: .seconds(10)))

            try await http10.send("GET /health HTTP/1.0\r\n\r\n")
            let answer10 = try await http10.response()
            #expect(answer10.status == 200 && answer10.headers["connection"] == "close")
            #expect(await http10.closesByServer(within: .seconds(10)))

            // The request in flight when the drain began gets its answer, the connection's last.
            _ = try lock.query("COMMIT")
            let page = try await busy.response(within: .seconds(20))
            #expect(page.status == 200, "\(page.body)")
            #expect(page.headers["connection"] == "close")
            #expect(page.body.contains(#""rows":["#))
            #expect(await busy.closesByServer(within: .seconds(10)))
        }
    }

    static func sessionsWaitingOnALock(in database: TestDatabase) throws -> Int {
        let rows = try database.connect().query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return Int(rows.first?["n"] ?? "") ?? 0
    }

    /// Whether the server still accepts connections (its listener is open).
    static func accepts(port: Int) async -> Bool {
        guard let probe = try? await RawHTTPConnection.open(port: port, within: .seconds(2)) else { return false }
        probe.close()
        return true
    }
}
