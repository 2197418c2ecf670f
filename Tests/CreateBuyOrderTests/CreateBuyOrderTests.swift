import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

@Suite struct CreateBuyOrderTests {
    @Test func createsAnOrderWithExactBTCAndStoresItsKeyTotalAndEvent() async throws {
        try await WritePath.run { client, path in
            let key = UUID()
            let response = try await WritePath.put(client, body: WritePath.body(amount: "123.45", key: key))
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers[.idempotentReplayed] == nil)
            let json = response.json
            #expect(json["idempotence_key"] as? String == key.uuidString.lowercased())
            let order = try #require(json["buy_order"] as? [String: String])
            #expect(order["currency"] == "USD")
            #expect(order["currency_amount"] == "123.45")
            #expect(order["btc_rate"] == "48478.88")
            #expect(order["btc_amount"] == "0.00254647")
            #expect(UUID(uuidString: order["id"] ?? "") != nil)
            #expect(order["created_at"]?.hasSuffix("Z") == true)

            let stored = try #require(
                try path.database.connect().query(
                    "SELECT rate_source, btc_amount::text, client_id FROM buy_order WHERE id = \(order["id"]!)::uuid"
                ).first)
            #expect(stored["rate_source"] == "coinbase")
            #expect(stored["btc_amount"] == "0.00254647")
            #expect(stored["client_id"] == "default")
            #expect(try path.count("idempotency_key") == 1)
            #expect(try path.count("outbox") == 1)
            #expect(try path.totals().total == "0.00254647")

            // The outbox row references the order; the relay renders the event from it (OutboxRelayTests).
            let event = try #require(
                try path.database.connect().query("SELECT buy_order_id::text, payload::text, routing_key FROM outbox").first)
            #expect(event["buy_order_id"] == order["id"])
            #expect(event["payload"] == nil)
            #expect(event["routing_key"] == "buy_order.created")
        }
    }

    @Test func answersOnTheVersionedPathToo() async throws {
        try await WritePath.run { client, _ in
            let response = try await WritePath.put(client, body: WritePath.body(currency: "GBP", amount: "1"), uri: "/v1/buy_order")
            #expect(response.status == .ok)
            #expect((response.json["buy_order"] as? [String: String])?["btc_amount"] == "0.00002632")
        }
    }

    @Test func replaysTheFirstAnswerForTheSameKeyAndPayload() async throws {
        try await WritePath.run { client, path in
            let body = WritePath.body(amount: "10.50")
            let first = try await WritePath.put(client, body: body)
            let second = try await WritePath.put(client, body: body)
            let third = try await WritePath.put(client, body: body)
            #expect(first.status == .ok)
            #expect(second.status == .ok && third.status == .ok)
            #expect(second.text == first.text && third.text == first.text)
            #expect(second.headers[.idempotentReplayed] == "true")
            #expect(try path.count("buy_order") == 1)
        }
    }

    @Test func acceptsTheKeyInTheIdempotencyKeyHeader() async throws {
        try await WritePath.run { client, path in
            let key = UUID()
            let headers: HTTPFields = [.contentType: "application/json", .idempotencyKey: key.uuidString]
            let first = try await WritePath.put(client, body: WritePath.body(key: nil), headers: headers)
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.json["idempotence_key"] as? String == key.uuidString.lowercased())
            // The same key in the body and the header is one key.
            let second = try await WritePath.put(client, body: WritePath.body(key: key), headers: headers)
            #expect(second.text == first.text)
            #expect(try path.count("buy_order") == 1)
        }
    }

    @Test func refusesDifferentKeysInBodyAndHeader() async throws {
        try await WritePath.run { client, path in
            let headers: HTTPFields = [.contentType: "application/json", .idempotencyKey: UUID().uuidString]
            let response = try await WritePath.put(client, body: WritePath.body(key: UUID()), headers: headers)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemFields == ["idempotence_key"])
            #expect(try path.count("buy_order") == 0)
        }
    }

    @Test func refusesTheSameKeyWithADifferentPayload() async throws {
        try await WritePath.run { client, path in
            let key = UUID()
            #expect(try await WritePath.put(client, body: WritePath.body(amount: "5", key: key)).status == .ok)
            let response = try await WritePath.put(client, body: WritePath.body(amount: "6", key: key))
            #expect(response.status == .unprocessableContent)
            #expect(response.problemFields == ["idempotence_key"])
            #expect(try path.count("buy_order") == 1)
        }
    }

    @Test func fiftyConcurrentRequestsWithOneKeyMakeOneOrderAndFiftyIdenticalAnswers() async throws {
        try await WritePath.run(mode: .live) { client, path in
            let body = WritePath.body(amount: "42.00")
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await WritePath.put(client, body: body)
                        return (response.status, response.text)
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, String)]()) { $0.append($1) }
            }
            #expect(answers.count == 50)
            #expect(answers.allSatisfy { $0.0 == .ok })
            #expect(Set(answers.map(\.1)).count == 1)
            #expect(try path.count("buy_order") == 1)
            #expect(try path.count("outbox") == 1)
        }
    }
}
