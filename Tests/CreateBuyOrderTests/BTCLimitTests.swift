import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite struct BTCLimitTests {
    @Test func concurrentOrdersNeverPushTheTotalPastTheLimit() async throws {
        // 100 USD at 48478.88 is 0.00206276 BTC (rounded up): a 0.02 BTC limit fits nine such orders, not ten.
        try await WritePath.run(limitBTC: "0.02", mode: .live) { client, path in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await WritePath.put(client, body: WritePath.body(amount: "100")).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            let accepted = statuses.filter { $0 == .ok }.count
            #expect(accepted == 9)
            #expect(statuses.filter { $0 == .conflict }.count == 21)
            #expect(try path.count("buy_order") == accepted)
            let totals = try path.totals()
            #expect(totals.total == totals.sum)
            #expect(totals.total == "0.01856484")
        }
    }

    @Test func refusesAnOrderOverTheLimitWithWhatIsLeftAndStoresNothing() async throws {
        try await WritePath.run(limitBTC: "0.001") { client, path in
            let response = try await WritePath.put(client, body: WritePath.body(amount: "100"))
            #expect(response.status == .conflict)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect((response.json["detail"] as? String)?.contains("0.00100000 BTC still available") == true)
            #expect(try path.count("buy_order") == 0)
            #expect(try path.count("idempotency_key") == 0)
            #expect(try path.count("outbox") == 0)
            // A smaller order still fits.
            #expect(try await WritePath.put(client, body: WritePath.body(amount: "48.47")).status == .ok)
        }
    }
}
