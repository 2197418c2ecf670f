import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct BadInputTests {
    static let key = UUID().uuidString

    /// Each body and the field its 422 must name.
    static let invalidFields: [(String, [String])] = [
        (#"{"currency":"USD","amount":"1.234","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":"1e3","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":" 12","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":"NaN","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":"-0","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":"0","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":"1000000000","idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":12.505,"idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"USD","amount":null,"idempotence_key":"\#(key)"}"#, ["amount"]),
        (#"{"currency":"BTC","amount":"1","idempotence_key":"\#(key)"}"#, ["currency"]),
        (#"{"currency":"usd","amount":"1","idempotence_key":"\#(key)"}"#, ["currency"]),
        (#"{"amount":"1","idempotence_key":"\#(key)"}"#, ["currency"]),
        (#"{"currency":"USD","amount":"1","idempotence_key":"not-a-uuid"}"#, ["idempotence_key"]),
        (#"{"currency":"USD","amount":"1"}"#, ["idempotence_key"]),
        (#"{"currency":"USD","amount":"1","idempotence_key":"\#(key)","price":"1"}"#, ["price"]),
        (#"{"currency":"EUR","amount":"1e3","idempotence_key":7}"#, ["amount", "idempotence_key"]),
    ]

    @Test(arguments: invalidFields)
    func namesEachInvalidField(body: String, fields: [String]) async throws {
        try await WritePath.run { client, path in
            let response = try await WritePath.put(client, body: body)
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(Set(response.problemFields) == Set(fields), "\(response.text)")
            #expect(try path.count("buy_order") == 0)
        }
    }

    @Test func saysANegativeAmountMustBeGreaterThanZero() async throws {
        try await WritePath.run { client, path in
            for amount in [#""-5""#, "-5", #""-0.01""#] {
                let body = #"{"currency":"USD","amount":\#(amount),"idempotence_key":"\#(UUID().lowercaseText)"}"#
                let response = try await WritePath.put(client, body: body)
                #expect(response.status == .unprocessableContent)
                #expect(response.text.contains(#"{"field":"amount","message":"must be greater than 0"}"#), "\(amount): \(response.text)")
            }
            #expect(try path.count("buy_order") == 0)
        }
    }

    @Test func answersEveryMalformedRequestDeliberately() async throws {
        try await WritePath.run { client, path in
            let cases: [(String, HTTPFields, HTTPResponse.Status)] = [
                (WritePath.body(), [.contentType: "text/plain"], .unsupportedMediaType),
                (WritePath.body(), [:], .unsupportedMediaType),
                ("", [.contentType: "application/json"], .badRequest),
                ("{", [.contentType: "application/json"], .badRequest),
                ("[1,2]", [.contentType: "application/json"], .badRequest),
                ("\"text\"", [.contentType: "application/json"], .badRequest),
                (String(repeating: " ", count: 20_000) + WritePath.body(), [.contentType: "application/json"], .contentTooLarge),
                (WritePath.body(key: nil), [.contentType: "application/json", .idempotencyKey: "nope"], .unprocessableContent),
            ]
            for (body, headers, status) in cases {
                let response = try await WritePath.put(client, body: body, headers: headers)
                #expect(response.status == status, "\(body.prefix(40)) \(headers): \(response.text)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            #expect(try path.count("buy_order") == 0)
        }
    }
}
