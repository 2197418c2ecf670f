import Core
import Foundation
import Testing
import TestSupport

@testable import BuyOrdersCLI

/// `buy` after a lost answer: the same idempotency key again, and exactly one order.
@Suite(.serialized) struct BuyRetryTests {
    @Test func retriesWithTheSameKeyAfterTheConnectionDropsAndBuysOnce() async throws {
        try await CLICluster.run { cluster in
            let key = try await cluster.client("cli-retry")
            let proxy = try TCPProxy(targetPort: cluster.createPort)
            defer { proxy.stop() }
            proxy.cutAnswers(1)

            let run = try await CLIRun.buyorders(
                ["buy", "USD", "42.00"], environment: cluster.environment(key: key, createPort: proxy.port))
            #expect(run.status == 0, "\(run)")
            #expect(proxy.answersCut == 1)
            let idempotencyKey = try #require(run.lines.last?.split(separator: " ").last?.dropLast())
            #expect(
                run.err.contains("no answer from create-buy-order (")
                    && run.err.contains("sending the order again with the same idempotency key \(idempotencyKey) in 0.5 s (attempt 2 of 5)"),
                "\(run)")
            #expect(run.err.contains("an earlier attempt had stored the order: this is the same order, bought once"), "\(run)")

            // the first attempt made the order, the second replayed it: one order, the one printed
            let stored = try cluster.write.connect().query(
                "SELECT id::text AS id FROM buy_order WHERE client_id = 'cli-retry'")
            #expect(stored.count == 1)
            #expect(run.out.contains("order \(stored.first?["id"] ?? "?") created at "), "\(run)")
        }
    }

    @Test func retriesOnlyWhatMayNotHaveReachedTheDatabase() {
        #expect(BuyRetry.isRetryable(.noAnswer))
        #expect(BuyRetry.isRetryable(.answered(status: 503, problemType: "/problems/outcome-unknown")))
        #expect(!BuyRetry.isRetryable(.answered(status: 503, problemType: "/problems/unavailable")))
        #expect(!BuyRetry.isRetryable(.answered(status: 200, problemType: nil)))
        #expect(!BuyRetry.isRetryable(.answered(status: 409, problemType: "/problems/quote-used")))
    }

    @Test func givesUpAfterTheLastAttemptWithGrowingPauses() {
        var retry = BuyRetry(pauses: [.milliseconds(500), .seconds(1)])
        #expect(retry.decide(after: .noAnswer) == .retry(after: .milliseconds(500)))
        #expect(retry.decide(after: .answered(status: 503, problemType: "/problems/outcome-unknown")) == .retry(after: .seconds(1)))
        #expect(retry.decide(after: .noAnswer) == .giveUp)
        #expect(retry.attempts == 3)

        var answered = BuyRetry()
        #expect(answered.decide(after: .noAnswer) == .retry(after: .milliseconds(500)))
        #expect(answered.decide(after: .answered(status: 200, problemType: nil)) == .accept)
    }
}
