import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct LiveHTTPTests {
    @Test func servesPagesAndOrdersOverHTTP() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 45, perTimestamp: 5)
        let app = try await makeApplication(database: database)
        try await app.test(.live) { client in
            let ids = try await client.walk("/v1/buy_orders?page_size=10")
            #expect(ids == orders.newestFirst)
            try await client.execute(uri: "/buy_orders/\(orders[0].id)", method: .get) { response in
                #expect(response.status == .ok)
                let order = try response.decode(PageBody.Row.self)
                #expect(order.id == orders[0].id)
            }
            try await client.execute(uri: "/buy_orders?page_size=0", method: .get) { response in
                #expect(response.status == .unprocessableContent)
            }
        }
    }
}
