import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct OrderByIDTests {
    @Test func returnsTheOrderInItsWireForm() async throws {
        let database = try TestDatabase.create(.readModel)
        let id = try OrderFixtures(database: database).insert(
            sequence: 1, currencyAmount: "123.45", btcRate: "48478.88", btcAmount: "0.00254647",
            createdAt: "2026-11-23T20:49:44.395736+01:00")
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            for path in ["/buy_orders", "/v1/buy_orders"] {
                try await client.execute(uri: "\(path)/\(id.uuidString.lowercased())", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(
                        String(buffer: response.body)
                            == #"{"id":"\#(id.uuidString.lowercased())","created_at":"2026-11-23T19:49:44.395736Z","#
                            + #""currency":"USD","currency_amount":"123.45","btc_rate":"48478.88","btc_amount":"0.00254647"}"#
                    )
                }
            }
        }
    }

    @Test func pageRowsHaveTheSameWireForm() async throws {
        let database = try TestDatabase.create(.readModel)
        let id = try OrderFixtures(database: database).insert(
            sequence: 7, currency: "GBP", currencyAmount: "1", btcRate: "3", btcAmount: "0.33333334",
            createdAt: "2026-01-01T00:00:00Z")
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            try await client.execute(uri: "/buy_orders", method: .get) { response in
                #expect(
                    String(buffer: response.body)
                        == #"{"rows":[{"id":"\#(id.uuidString.lowercased())","created_at":"2026-01-01T00:00:00.000000Z","#
                        + #""currency":"GBP","currency_amount":"1.00","btc_rate":"3.00","btc_amount":"0.33333334"}],"#
                        + #""last_reference":null}"#)
            }
        }
    }

    @Test func missingOrderIsNotFound() async throws {
        let app = try await makeApplication(database: TestDatabase.create(.readModel))
        try await app.test(.router) { client in
            try await client.execute(uri: "/buy_orders/\(UUID().uuidString.lowercased())", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func anotherClientsOrderIsNotFound() async throws {
        let database = try TestDatabase.create(.readModel)
        let id = try OrderFixtures(database: database).insert(client: "other", sequence: 1, createdAt: "2026-01-01T00:00:00Z")
        let app = try await makeApplication(database: database)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/buy_orders/\(id.uuidString.lowercased())", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func malformedIDIsRefusedNamingIt() async throws {
        let app = try await makeApplication(database: TestDatabase.create(.readModel))
        try await app.test(.router) { client in
            for id in ["123", "not-a-uuid", "%zz"] {
                try await client.execute(uri: "/buy_orders/\(id)", method: .get) { response in
                    #expect(response.status == .unprocessableContent, "\(id)")
                    let problem = try response.decode(ProblemBody.self)
                    #expect(problem.fields == ["id"])
                }
            }
        }
    }
}
