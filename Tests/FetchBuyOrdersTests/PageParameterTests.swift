import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct PageParameterTests {
    static let invalidQueries: [(query: String, field: String)] = [
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_size=", "page_size"),
        ("page_size", "page_size"),
        ("page_size=-1", "page_size"),
        ("page_size=%2B5", "page_size"),
        ("page_size=99999999999999999999999", "page_size"),
        ("page_size=5&page_size=6", "page_size"),
        ("page_size=5&page_size=5", "page_size"),
        ("last_reference=not-a-uuid", "last_reference"),
        ("last_reference=", "last_reference"),
        ("last_reference=%zz", "last_reference"),
        ("last_reference=\(UUID().uuidString)", "last_reference"),
        ("currency=JPY", "currency"),
        ("currency=usd", "currency"),
        ("currency=USD&currency=EUR", "currency"),
        ("from=yesterday", "from"),
        ("from=2026-02-30T00:00:00Z", "from"),
        ("from=2026-01-01", "from"),
        ("from=2026-01-01T24:00:00Z", "from"),
        ("from=2026-01-01T00:00:00", "from"),
        ("to=2026-01-01T00:00:00+25:00", "to"),
        ("to=0001-01-01T00:00:00%2B01:00", "to"),
        ("to=2026-01-01T00:00:00.Z", "to"),
        ("from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("from=2026-01-01T01:00:00%2B01:00&to=2026-01-01T00:00:00Z", "to"),
    ]

    @Test(arguments: invalidQueries)
    func badParameterIsRefusedNamingIt(query: String, field: String) async throws {
        let app = try await makeApplication(database: TestDatabase.create(.readModel))
        try await app.test(.router) { client in
            for path in ["/buy_orders", "/v1/buy_orders"] {
                try await client.execute(uri: "\(path)?\(query)", method: .get) { response in
                    #expect(response.status == .unprocessableContent, "\(query)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let problem = try response.decode(ProblemBody.self)
                    #expect(problem.status == 422)
                    #expect(problem.fields == [field], "\(query)")
                }
            }
        }
    }

    @Test func everyBadParameterIsNamedAtOnce() async throws {
        let app = try await makeApplication(database: TestDatabase.create(.readModel))
        try await app.test(.router) { client in
            let uri = "/buy_orders?page_size=0&last_reference=x&currency=BTC&from=a&to=b"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try response.decode(ProblemBody.self)
                #expect(problem.fields == ["page_size", "last_reference", "currency", "from", "to"])
            }
        }
    }

    @Test func anotherClientsOrderIsAnUnknownReference() async throws {
        let database = try TestDatabase.create(.readModel)
        let theirs = try OrderFixtures(database: database).insert(count: 3, client: "other")
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            try await client.execute(uri: "/buy_orders?last_reference=\(theirs[0].id)", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try response.decode(ProblemBody.self)
                #expect(problem.fields == ["last_reference"])
            }
        }
    }

    @Test func unknownParametersAreIgnored() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 12)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let page = try await client.page("/buy_orders?page_size=5&sort=asc&offset=100&flag&page_size_x=9")
            #expect(page.rows.map(\.id) == Array(orders.newestFirst.prefix(5)))
        }
    }

    @Test func uppercaseReferenceAndPaddedPageSizeAreAccepted() async throws {
        let database = try TestDatabase.create(.readModel)
        let orders = try OrderFixtures(database: database).insert(count: 12)
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            let page = try await client.page("/buy_orders?page_size=005&last_reference=\(orders.newestFirst[1].uppercased())")
            #expect(page.rows.map(\.id) == Array(orders.newestFirst[2..<7]))
        }
    }
}
