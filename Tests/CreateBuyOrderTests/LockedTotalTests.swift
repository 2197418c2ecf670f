import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// Another session holds `SELECT ... FROM btc_total FOR UPDATE`: every order would wait for it.
@Suite struct LockedTotalTests {
    @Test func ordersGetABoundedRetryableAnswerAndReadyReportsTheWriterUntilTheLockIsReleased() async throws {
        try await WritePath.run(configure: { $0.writeDatabase.options.lockTimeout = .milliseconds(500) }) { client, path in
            let holder = try path.holdTotal()
            let started = ContinuousClock.now
            let answers = try await WritePath.putAll(client, (0..<10).map { _ in WritePath.body() })
            // Without a lock timeout they would wait for the lock: 60 s here, for good in production.
            #expect(ContinuousClock.now - started < .seconds(30))
            for answer in answers {
                #expect(answer.status == .serviceUnavailable, "\(answer.text)")
                #expect(answer.headers[.retryAfter] != nil)
                #expect(answer.text.contains("a lock was not granted in time; nothing was stored"))
            }
            let ready = try await WritePath.ready(client)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.body.contains(#""name":"order_writer""#) && ready.body.contains("lockNotAvailable"), "\(ready.body)")

            try holder.query("ROLLBACK")
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)
            #expect(try await WritePath.ready(client).status == .ok)
            #expect(try path.count("buy_order") == 1)
        }
    }

    @Test func readyReportsABatchStuckPastItsBoundWhenNoLockTimeoutCutsIt() async throws {
        try await WritePath.run(configure: {
            $0.writeDatabase.options.lockTimeout = nil
            $0.writeDatabase.options.statementTimeout = nil
            $0.writer.stuckAfter = .milliseconds(500)
        }) { client, path in
            let holder = try path.holdTotal()
            async let waiting = WritePath.put(client, body: WritePath.body())
            try await expectEventually { try path.lockWaiters() == 1 }
            try await expectEventually {
                let ready = try await WritePath.ready(client)
                return ready.status == .serviceUnavailable && ready.body.contains("a batch has been running for")
            }
            try holder.query("ROLLBACK")
            #expect(try await waiting.status == .ok)
            #expect(try await WritePath.ready(client).status == .ok)
        }
    }
}
