import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import BuyOrdersAdmin

/// Streams and activity through the whole cluster with keys: orders made through create-buy-order,
/// projected by two read-model-sync instances at once, streamed and listed by fetch-buy-orders.
@Suite struct StreamAndActivityTests {
    @Test func eachClientsStreamGetsEveryOneOfItsOrdersOnceAcrossAResume() async throws {
        try await StreamCluster.run { cluster in
            let alice = try await cluster.client("alice")
            let bob = try await cluster.client("bob")
            let refused = try await cluster.stream(key: nil)
            #expect(refused.status == 401)
            let aliceStream = try await cluster.stream(key: alice)
            let bobStream = try await cluster.stream(key: bob)
            let euros = try await cluster.stream(key: alice, query: "?currency=EUR")
            #expect(aliceStream.status == 200 && bobStream.status == 200 && euros.status == 200)

            // Both clients at once: the two read-model-sync instances commit side by side.
            async let aliceFirst = cluster.orders(20, key: alice)
            async let bobOrders = cluster.orders(20, key: bob)
            async let aliceEuros = cluster.orders(5, key: alice, currency: "EUR")
            let (first, theirs, euroIDs) = try await (aliceFirst, bobOrders, aliceEuros)

            let seen = try await aliceStream.orders(15)
            aliceStream.close()
            let second = try await cluster.orders(15, key: alice)
            let resumed = try await cluster.stream(key: alice, lastEventID: try #require(seen.last?.id))
            let rest = try await resumed.orders(first.count + euroIDs.count + second.count - seen.count)
            let aliceIDs = (seen + rest).compactMap(\.orderID)
            #expect(aliceIDs.count == Set(aliceIDs).count, "an order came twice")
            #expect(Set(aliceIDs) == Set(first + euroIDs + second))
            let positions = (seen + rest).compactMap { $0.id }
            #expect(positions.count == aliceIDs.count)

            let bobIDs = try await bobStream.orders(theirs.count).compactMap(\.orderID)
            #expect(Set(bobIDs) == Set(theirs) && bobIDs.count == theirs.count)
            #expect(Set(bobIDs).isDisjoint(with: aliceIDs))
            #expect(Set(try await euros.orders(euroIDs.count).compactMap(\.orderID)) == Set(euroIDs))
            // Nothing else arrives for bob: none of alice's.
            let extra = try await StreamGapTests.orders(on: bobStream, for: .seconds(1))
            #expect(extra.isEmpty)
            for stream in [resumed, bobStream, euros] { stream.close() }
        }
    }

    @Test func activityHoldsEveryEventOfTheClientOnceNewestFirstWithFilters() async throws {
        try await StreamCluster.run { cluster in
            let alice = try await cluster.client("alice")
            let bob = try await cluster.client("bob")
            let spare = try cluster.admin.createKey(client: "alice", scopes: [.ordersRead], label: "spare").0
            _ = try cluster.admin.revokeKey(id: spare.keyID)
            _ = try cluster.admin.setRateLimit(client: "alice", RateLimit(milliPerSecond: 50_000, burst: 100)!)
            _ = try cluster.admin.setLimit(BTCAmount(parsing: "99")!)
            let orders = try await cluster.orders(12, key: alice)
            _ = try await cluster.orders(3, key: bob)
            let headers: HTTPFields = [.authorization: "Bearer \(alice)"]
            // client.created, two api_key.created, api_key.revoked, client.rate_limit_changed, 12 orders.
            let expected = 17
            var events: [[String: Any]] = []
            try await expectEventually(within: .seconds(30)) {
                events = try await Self.walk(cluster.fetch, "/v1/activity?page_size=4", headers: headers)
                return events.count == expected
            }
            let ids = events.compactMap { $0["event_id"] as? String }
            #expect(Set(ids).count == expected)
            let times = events.compactMap { $0["occurred_at"] as? String }
            #expect(times == times.sorted(by: >), "not newest first")
            var types: [String: Int] = [:]
            for event in events { types[event["type"] as? String ?? "", default: 0] += 1 }
            #expect(
                types == [
                    "client.created": 1, "api_key.created": 2, "api_key.revoked": 1, "client.rate_limit_changed": 1,
                    "buy_order.created": 12,
                ])
            let orderIDs = events.compactMap { ($0["order"] as? [String: Any])?["id"] as? String }
            #expect(Set(orderIDs) == Set(orders))
            #expect(events.allSatisfy { ($0["client_id"] as? String ?? ($0["order"] as? [String: Any])?["client_id"] as? String) == "alice" })
            let text = try await cluster.fetch.execute(uri: "/v1/activity?page_size=100", method: .get, headers: headers).body
            #expect(!String(buffer: text).contains("secret_sha256"))

            let keys = try await Self.walk(cluster.fetch, "/v1/activity?page_size=2&type=api_key.created,api_key.revoked", headers: headers)
            #expect(keys.count == 3)
            let oldest = try #require(times.last)
            let newest = try #require(times.first)
            let window = try await Self.walk(cluster.fetch, "/v1/activity?page_size=5&from=\(oldest)&to=\(newest)", headers: headers)
            #expect(window.count == times.filter { $0 < newest }.count)
        }
    }

    static func walk(_ client: any TestClientProtocol, _ uri: String, headers: HTTPFields) async throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        var next: String? = uri
        while let current = next {
            let response = try await client.execute(uri: current, method: .get, headers: headers)
            guard response.status == .ok,
                let page = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
            else { throw NotReady("activity page: \(response.status) \(String(buffer: response.body))") }
            events += page["rows"] as? [[String: Any]] ?? []
            next = (page["last_reference"] as? String).map { "\(uri)&last_reference=\($0)" }
        }
        return events
    }
}
