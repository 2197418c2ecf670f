import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct PageFilterTests {
    @Test func currencyFilterPagesThroughThatCurrencyOnly() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 300, perTimestamp: 4)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            for currency in Currency.allCases.map(\.code) {
                let ids = try await client.walk("/buy_orders?currency=\(currency)&page_size=7")
                #expect(ids == orders.filter { $0.currency == currency }.newestFirst)
                #expect(ids.count == 100)
            }
        }
    }

    @Test func timeRangeIncludesFromAndExcludesTo() async throws {
        let database = try TestDatabase.create(.readModel)
        // created_at = 2026-01-01T00:00:00Z + (g / 3) ms for g in 0..<300.
        let orders = try OrderFixtures(database: database).insert(count: 300, perTimestamp: 3)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let from = "2026-01-01T00:00:00.010Z", to = "2026-01-01T00:00:00.050Z"
            let ids = try await client.walk("/buy_orders?from=\(from)&to=\(to)&page_size=4")
            let expected = orders.filter { $0.sequence >= 31 && $0.sequence <= 150 }
            #expect(ids == expected.newestFirst)
            #expect(ids.count == 120)
        }
    }

    @Test func timeRangeAcceptsOffsets() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 300, perTimestamp: 3)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            // The same instants as the previous test, written one hour east and west of UTC.
            let from = "2026-01-01T01:00:00.010%2B01:00", to = "2025-12-31T23:00:00.05-01:00"
            let ids = try await client.walk("/buy_orders?from=\(from)&to=\(to)&page_size=50")
            #expect(ids == orders.filter { $0.sequence >= 31 && $0.sequence <= 150 }.newestFirst)
        }
    }

    @Test func onlyFromOrOnlyToBoundsOneSide() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 60, perTimestamp: 2)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let newer = try await client.walk("/buy_orders?from=2026-01-01T00:00:00.020Z&page_size=9")
            #expect(newer == orders.filter { $0.sequence >= 41 }.newestFirst)
            let older = try await client.walk("/buy_orders?to=2026-01-01T00:00:00.020Z&page_size=9")
            #expect(older == orders.filter { $0.sequence <= 40 }.newestFirst)
        }
    }

    @Test func currencyAndTimeRangeCombine() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 600, perTimestamp: 6)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let uri = "/buy_orders?currency=GBP&from=2026-01-01T00:00:00.020Z&to=2026-01-01T00:00:00.080Z&page_size=5"
            let ids = try await client.walk(uri)
            let expected = orders.filter { $0.currency == "GBP" && $0.sequence >= 121 && $0.sequence <= 480 }
            #expect(ids == expected.newestFirst)
            #expect(ids.count == 120)
        }
    }

    @Test func referenceNewerThanToContinuesBelowTo() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 100, perTimestamp: 2)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let newest = orders.newestFirst[0]
            let ids = try await client.walk("/buy_orders?to=2026-01-01T00:00:00.010Z&page_size=3", after: newest)
            #expect(ids == orders.filter { $0.sequence <= 20 }.newestFirst)
        }
    }

    @Test func filteredLastPageAfterItsLastOrderIsEmpty() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 30)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let oldestEuro = orders.filter { $0.currency == "EUR" }.newestFirst.last ?? ""
            let page = try await client.page("/buy_orders?currency=EUR&last_reference=\(oldestEuro)")
            #expect(page.rows.isEmpty)
            #expect(page.last_reference == nil)
        }
    }
}
