import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// `PUT /buy_order` reads its body with the strict parser: what a lenient parser would guess at is a
/// 400 naming the byte and the problem, and a JSON number amount is taken digit for digit.
@Suite struct StrictJSONTests {
    static let key = UUID().uuidString.lowercased()

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Each body and what its 400's detail must say.
    static let refused: [(String, [UInt8], String)] = [
        ("duplicate key", bytes(#"{"currency":"USD","amount":"1.00","amount":"2.00","idempotence_key":"\#(key)"}"#),
         #"invalid JSON at byte 34: duplicate key "amount""#),
        ("byte-order mark", [0xEF, 0xBB, 0xBF] + bytes(#"{"currency":"USD","amount":"1.00","idempotence_key":"\#(key)"}"#),
         "invalid JSON at byte 0: a UTF-8 byte-order mark opens the body; send UTF-8 without one"),
        ("UTF-16", Array(#"{"currency":"USD","amount":"1.00","idempotence_key":"\#(key)"}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
         "invalid JSON at byte 1: the body is UTF-16; send UTF-8"),
        ("trailing comma", bytes(#"{"currency":"USD","amount":"1.00","idempotence_key":"\#(key)",}"#),
         "invalid JSON at byte 91: a trailing comma"),
        ("invalid UTF-8", bytes(#"{"currency":"US"#) + [0xC0, 0xAF] + bytes(#"","amount":"1.00","idempotence_key":"\#(key)"}"#),
         "invalid JSON at byte 15: invalid UTF-8"),
        ("lone surrogate", bytes(#"{"currency":"\ud800","amount":"1.00","idempotence_key":"\#(key)"}"#),
         #"invalid JSON at byte 13: a \u escape of a lone UTF-16 surrogate"#),
        ("trailing garbage", bytes(#"{"currency":"USD","amount":"1.00","idempotence_key":"\#(key)"} x"#),
         "invalid JSON at byte 92: 'x' after the end of the JSON value"),
        ("not an object", bytes("[1,2]"), "invalid JSON at byte 0: expected a JSON object, found '['"),
        ("empty", [], "the body is empty; send a JSON object"),
    ]

    @Test func refusesAmbiguousBodiesNamingTheByteAndTheProblem() async throws {
        try await WritePath.run { client, path in
            for (name, body, detail) in Self.refused {
                let response = try await client.execute(
                    uri: "/buy_order", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body))
                #expect(response.status == .badRequest, "\(name): \(response.text)")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.json["detail"] as? String == detail, "\(name): \(response.text)")
                #expect(response.json["type"] as? String == "/problems/malformed-request", "\(name)")
            }
            #expect(try path.count("buy_order") == 0)
        }
    }

    @Test func takesAJSONNumberAmountDigitForDigit() async throws {
        try await WritePath.run { client, path in
            let exact = try await WritePath.put(
                client, body: #"{"currency":"USD","amount":123.45,"idempotence_key":"\#(UUID().uuidString)"}"#)
            #expect(exact.status == .ok, "\(exact.text)")
            let order = try #require(exact.json["buy_order"] as? [String: String])
            #expect(order["currency_amount"] == "123.45")
            #expect(order["btc_amount"] == "0.00254647")
            let whole = try await WritePath.put(
                client, body: #"{"currency":"USD","amount":7,"idempotence_key":"\#(UUID().uuidString)"}"#)
            #expect((whole.json["buy_order"] as? [String: String])?["currency_amount"] == "7.00", "\(whole.text)")
            #expect(try path.count("buy_order") == 2)
        }
    }

    @Test func refusesANumberAmountWhoseDigitsCannotBeTakenExactly() async throws {
        let cases: [(String, String)] = [
            ("1e3", "must be a plain decimal such as 123.45; a number with an exponent is refused"),
            ("1.5E+2", "must be a plain decimal such as 123.45; a number with an exponent is refused"),
            ("12.505", "must have at most 2 decimal places"),
            ("-5", "must be greater than 0"),
            ("0", "must be greater than 0"),
            ("1000000000", "must be less than 1000000000"),
        ]
        try await WritePath.run { client, path in
            for (literal, message) in cases {
                let response = try await WritePath.put(
                    client, body: #"{"currency":"USD","amount":\#(literal),"idempotence_key":"\#(UUID().uuidString)"}"#)
                #expect(response.status == .unprocessableContent, "\(literal): \(response.text)")
                let errors = response.json["errors"] as? [[String: String]]
                #expect(errors == [["field": "amount", "message": message]], "\(literal): \(response.text)")
            }
            #expect(try path.count("buy_order") == 0)
        }
    }
}
