import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct PageWalkTests {
    @Test func walkReturnsEveryOrderOnceNewestFirstAcrossTies() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 3000, perTimestamp: 10)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            // 7 does not divide 10: pages end in the middle of groups of equal created_at.
            let ids = try await client.walk("/buy_orders?page_size=7")
            #expect(ids.count == 3000)
            #expect(ids == orders.newestFirst)
        }
    }

    @Test func walkWithLargestPagesReturnsEveryOrderOnce() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 1000, perTimestamp: 10)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let ids = try await client.walk("/buy_orders?page_size=100")
            #expect(ids == orders.newestFirst)
        }
    }

    @Test func defaultPageHoldsTenNewestOrders() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 25, perTimestamp: 3)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let page = try await client.page("/buy_orders")
            #expect(page.rows.map(\.id) == Array(orders.newestFirst.prefix(10)))
            #expect(page.last_reference == orders.newestFirst[9])
        }
    }

    @Test func lastReferenceIsNullExactlyWhenNoOlderOrderExists() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 20, perTimestamp: 4)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let full = try await client.page("/buy_orders?page_size=20")
            #expect(full.rows.count == 20)
            #expect(full.last_reference == nil)

            let first = try await client.page("/buy_orders?page_size=10")
            let second = try await client.page("/buy_orders?page_size=10&last_reference=\(first.last_reference ?? "")")
            #expect(second.rows.map(\.id) == Array(orders.newestFirst.suffix(10)))
            #expect(second.last_reference == nil)

            let afterOldest = try await client.page("/buy_orders?last_reference=\(orders.newestFirst.last ?? "")")
            #expect(afterOldest.rows.isEmpty)
            #expect(afterOldest.last_reference == nil)
        }
    }

    @Test func emptyReadModelGivesAnEmptyLastPage() async throws {
        let app = try await makeApplication(database: TestDatabase.create(.readModel))
        try await app.test(.router) { client in
            try await client.execute(uri: "/buy_orders", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == #"{"rows":[],"last_reference":null}"#)
            }
        }
    }

    @Test func ordersArrivingDuringAWalkDoNotDisturbIt() async throws {
        let database = try TestDatabase.create(.readModel)
        let fixtures = OrderFixtures(database: database)
        let orders = try fixtures.insert(count: 300, perTimestamp: 5, start: "2026-01-01T00:00:00Z")
        let app = try await makeApplication(database: database)
        let batches = try await app.test(.router) { client in
            var batch = 0
            let ids = try await client.walk("/buy_orders?page_size=9") {
                // Newer orders, and orders tying with the newest existing timestamp but with higher sequences.
                batch += 1
                try fixtures.insert(
                    count: 4, firstSequence: 10_000 + batch * 10, perTimestamp: 2, start: "2026-06-01T00:00:00Z")
                try fixtures.insert(count: 2, firstSequence: 20_000 + batch * 10, start: orders.newestCreatedAt)
            }
            #expect(ids == orders.newestFirst)
            return batch
        }
        #expect(batches > 30)
    }

    @Test func otherClientsOrdersAreNeverListed() async throws {
        let database = try TestDatabase.create(.readModel)
        let fixtures = OrderFixtures(database: database)
        let mine = try fixtures.insert(count: 40, perTimestamp: 2)
        try fixtures.insert(count: 40, client: "other", firstSequence: 41, perTimestamp: 2)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let ids = try await client.walk("/buy_orders?page_size=6")
            #expect(ids == mine.newestFirst)
        }
    }

    @Test func storeReadsOnlyTheGivenClient() async throws {
        let database = try TestDatabase.create(.readModel)
        let fixtures = OrderFixtures(database: database)
        try fixtures.insert(count: 5)
        let theirs = try fixtures.insert(count: 5, client: "other", firstSequence: 6)
        let client = PostgresClient(settings: database.settings(), logger: TestServers.logger)
        let store = BuyOrderStore(database: client)
        let page = try await store.page(PageRequest(pageSize: 100), client: "other")
        #expect(page.rows.map(\.id) == theirs.newestFirst)
        await client.close()
    }

    @Test func versionedAliasServesTheSamePages() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 30, perTimestamp: 3)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let ids = try await client.walk("/v1/buy_orders?page_size=8")
            #expect(ids == orders.newestFirst)
        }
    }
}

extension Array where Element == OrderFixtures.Order {
    var newestCreatedAt: String { self.max { $0.sequence < $1.sequence }?.createdAt ?? "" }
}
