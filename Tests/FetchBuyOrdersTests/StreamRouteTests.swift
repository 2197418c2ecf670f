import Core
import Foundation
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// `GET /v1/buy_orders/stream` on a live port over a real read model, orders projected as read-model-sync
/// projects them (with the commit signal).
@Suite struct StreamRouteTests {
    static let path = "/v1/buy_orders/stream"

    @Test func deliversEachNewOrderOfTheClientInOrderAndFiltersByCurrency() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        let projected = ProjectedOrders(database: database)
        try await withStreamingService(database: database) { live in
            let all = try await EventStreamConnection.open(port: live.port, path: Self.path)
            let euros = try await EventStreamConnection.open(port: live.port, path: Self.path + "?currency=EUR")
            #expect(all.status == 200 && all.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            let opening = try #require(try await all.next())
            #expect(opening.retry == "2000" && opening.id != nil && opening.data == nil)
            var expected: [(id: String, currency: String)] = []
            for batch in 0..<4 {
                expected += try projected.project(6, firstCurrency: batch)
                try projected.project(3, client: "someone-else")
            }
            let received = try await all.orders(expected.count)
            #expect(received.map(\.orderID) == expected.map(\.id))
            let positions = received.compactMap { $0.id.flatMap(StreamPosition.init(text:)) }
            #expect(positions.count == received.count && positions == positions.sorted() && Set(positions).count == positions.count)
            let euroIDs = expected.filter { $0.currency == "EUR" }.map(\.id)
            #expect(try await euros.orders(euroIDs.count).map(\.orderID) == euroIDs)
            // The order as GET /buy_orders/{id} renders it.
            let view = try JSONSerialization.jsonObject(with: Data(try #require(received.first?.data).utf8)) as? [String: String]
            #expect(Set(view?.keys.map { $0 } ?? []) == ["id", "created_at", "currency", "currency_amount", "btc_rate", "btc_amount"])
            all.close()
            euros.close()
        }
    }

    @Test func resumesAfterLastEventIDWithNothingMissedAndNothingRepeated() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        let projected = ProjectedOrders(database: database)
        try await withStreamingService(database: database) { live in
            let first = try await EventStreamConnection.open(port: live.port, path: Self.path)
            let startID = try #require(try await first.next()?.id)
            let before = try projected.project(10)
            let seen = try await first.orders(10)
            first.close()
            let after = try projected.project(10)

            // After the 7th: the 8th to the 20th, once each; by header, and by parameter.
            let resumeID = try #require(seen[6].id)
            let byHeader = try await EventStreamConnection.open(port: live.port, path: Self.path, headers: ["Last-Event-ID: \(resumeID)"])
            let byParameter = try await EventStreamConnection.open(port: live.port, path: Self.path + "?last_event_id=\(resumeID)")
            let rest = (before[7...] + after).map(\.id)
            #expect(try await byHeader.orders(13).map(\.orderID) == rest)
            #expect(try await byParameter.orders(13).map(\.orderID) == rest)

            // From the opening id of a stream that saw nothing: everything since it opened.
            let fromStart = try await EventStreamConnection.open(port: live.port, path: Self.path, headers: ["Last-Event-ID: \(startID)"])
            #expect(try await fromStart.orders(20).map(\.orderID) == (before + after).map(\.id))

            // Live after the catch-up, without a gap or a repeat.
            let more = try projected.project(5).map(\.id)
            #expect(try await byHeader.orders(5).map(\.orderID) == more)
            #expect(try await fromStart.orders(5).map(\.orderID) == more)
            for stream in [byHeader, byParameter, fromStart] { stream.close() }
        }
    }

    @Test func sendsAHeartbeatCommentWithThePositionPassed() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        var settings = StreamSettings()
        settings.heartbeat = .milliseconds(500)
        try await withStreamingService(database: database, stream: settings) { live in
            let stream = try await EventStreamConnection.open(port: live.port, path: Self.path + "?currency=GBP")
            let opening = try #require(try await stream.next())
            // Orders of another currency move the position, and a heartbeat says so.
            try ProjectedOrders(database: database).project(2, firstCurrency: 0)
            var heartbeat: EventStreamConnection.Event?
            for _ in 0..<20 {
                let event = try #require(try await stream.next(within: .seconds(30)))
                #expect(event.event == nil)
                if event.comments == ["keep-alive"], event.id != nil {
                    heartbeat = event
                    break
                }
            }
            let passed = try #require(heartbeat?.id.flatMap(StreamPosition.init(text:)))
            #expect(passed > (try #require(opening.id.flatMap(StreamPosition.init(text:)))))
            stream.close()
        }
    }

    @Test func refusesBadPositionsAndMoreStreamsThanAllowed() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        var settings = StreamSettings()
        settings.maxPerClient = 2
        try await withStreamingService(database: database, stream: settings) { live in
            let bad = try await EventStreamConnection.open(port: live.port, path: Self.path, headers: ["Last-Event-ID: yesterday"])
            #expect(bad.status == 422 && bad.body.contains("Last-Event-ID"))
            let currency = try await EventStreamConnection.open(port: live.port, path: Self.path + "?currency=BTC")
            #expect(currency.status == 422 && currency.body.contains("currency"))
            // The fan-out's probe may hold a place for a second: each place is waited for.
            let one = try await Self.openWhenAllowed(port: live.port)
            let two = try await Self.openWhenAllowed(port: live.port)
            let three = try await EventStreamConnection.open(port: live.port, path: Self.path)
            #expect(three.status == 429 && three.headers["retry-after"] != nil && three.body.contains("too-many-streams"))
            // A client that left frees its place within a second or so.
            one.close()
            let four = try await Self.openWhenAllowed(port: live.port)
            two.close()
            four.close()
        }
    }

    static func openWhenAllowed(port: Int) async throws -> EventStreamConnection {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let stream = try await EventStreamConnection.open(port: port, path: path)
            if stream.status == 200 || ContinuousClock.now > deadline { return stream }
            stream.close()
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func aStreamWithoutAKeyIsRefused() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        let settings = FetchBuyOrdersSettings(server: HTTPServerSettings(port: 0), readDatabase: database.settings(), access: AccessSettings())
        let app = try await buildFetchBuyOrders(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await withLiveApplication(app) { live in
            let stream = try await EventStreamConnection.open(port: live.port, path: Self.path)
            #expect(stream.status == 401 && stream.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        }
    }
}
