import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// The IETF Idempotency-Key draft and Stripe's semantics, over HTTP.
@Suite struct IdempotencyTests {
    static func headers(_ key: String) -> HTTPFields { [.contentType: "application/json", .idempotencyKey: key] }

    @Test func replaysAKeySentAsTheDraftsQuotedString() async throws {
        try await WritePath.run { client, path in
            let key = UUID()
            let quoted = try await WritePath.put(
                client, body: WritePath.body(key: nil), headers: Self.headers("\"\(key.lowercaseText)\""))
            #expect(quoted.status == .ok, "\(quoted.text)")
            #expect(quoted.json["idempotence_key"] as? String == key.lowercaseText)
            // The bare form, the quoted form and the body's field are one key.
            for headers in [Self.headers(key.uuidString), Self.headers(" \"\(key.uuidString)\" ")] {
                let replay = try await WritePath.put(client, body: WritePath.body(key: nil), headers: headers)
                #expect(replay.status == .ok && replay.text == quoted.text, "\(replay.text)")
                #expect(replay.headers[.idempotentReplayed] == "true")
            }
            let inBody = try await WritePath.put(client, body: WritePath.body(key: key), headers: Self.headers("\"\(key)\""))
            #expect(inBody.text == quoted.text)
            #expect(try path.count("buy_order") == 1)
        }
    }

    @Test(arguments: ["\"", "\"\"", "\"abc\"", "'e0eb9e5e-a358-48fc-9973-06bb960c6b46'", "\"e0eb9e5e-a358-48fc-9973-06bb960c6b46"])
    func refusesAMalformedQuotedKey(header: String) async throws {
        try await WritePath.run { client, path in
            let response = try await WritePath.put(client, body: WritePath.body(key: nil), headers: Self.headers(header))
            #expect(response.status == .unprocessableContent)
            #expect(response.problemFields == ["Idempotency-Key"], "\(response.text)")
            #expect(try path.count("buy_order") == 0)
        }
    }

    @Test func aKeyReusedWithAnotherPayloadHasItsOwnProblemType() async throws {
        try await WritePath.run { client, path in
            let key = UUID()
            #expect(try await WritePath.put(client, body: WritePath.body(amount: "5", key: key)).status == .ok)
            let reused = try await WritePath.put(client, body: WritePath.body(currency: "EUR", amount: "5", key: key))
            #expect(reused.status == .unprocessableContent)
            #expect(reused.json["type"] as? String == "/problems/idempotency-key-reused", "\(reused.text)")
            #expect(reused.problemFields == ["idempotence_key"])
            // A field error is another type, so a client can tell the two apart.
            let invalid = try await WritePath.put(client, body: WritePath.body(amount: "-5", key: UUID()))
            #expect(invalid.json["type"] as? String == "/problems/validation")
            #expect(try path.count("buy_order") == 1)
        }
    }

    /// Two instances over one database; the first's transaction waits on a lock another session holds,
    /// so it is still running when the duplicate arrives at the other instance.
    @Test func aDuplicateSentWhileTheFirstStillRunsWaitsForItAndReplaysIt() async throws {
        let database = try TestDatabase.create(.writeModel)
        let patient: @Sendable (inout CreateBuyOrderSettings) -> Void = {
            $0.writeDatabase.options.lockTimeout = .seconds(30)
        }
        try await WritePath.run(mode: .live, database: database, configure: patient) { first, path in
            try await WritePath.run(mode: .live, database: database, configure: patient) { second, _ in
                let holder = try path.holdTotal()
                let body = WritePath.body(amount: "7.00")
                async let original = WritePath.put(first, body: body)
                try await expectEventually { try path.lockWaiters() == 1 }
                async let duplicate = WritePath.put(second, body: body)
                try await expectEventually { try path.lockWaiters() == 2 }
                // Neither is answered while the first runs: the duplicate waits, it is not refused.
                try holder.query("ROLLBACK")
                let (one, two) = try await (original, duplicate)
                #expect(one.status == .ok && two.status == .ok, "\(one.text) \(two.text)")
                #expect(one.text == two.text)
                #expect([one, two].filter { $0.headers[.idempotentReplayed] == "true" }.count == 1)
                #expect(try path.count("buy_order") == 1)
            }
        }
    }
}
