import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// The writer's queue is bounded in length and in time, and a database that does not answer empties it
/// at once: every request gets an answer, never a hang.
@Suite struct WriterQueueTests {
    @Test func refusesOrdersBeyondTheQueueBoundAtOnceAndWritesTheOthers() async throws {
        try await WritePath.run(configure: {
            $0.writer.maxQueued = 5
            $0.writer.queueTimeout = .seconds(30)
            $0.writeDatabase.options.lockTimeout = .seconds(30)
        }) { client, path in
            let holder = try path.holdTotal()
            // The first order's batch waits for the lock; what comes next queues behind it.
            async let first = WritePath.put(client, body: WritePath.body())
            try await expectEventually { try path.lockWaiters() == 1 }
            let started = ContinuousClock.now
            let clock = AnswerClock()
            let queued = Task { try await WritePath.putAll(client, (0..<20).map { _ in WritePath.body() }, clock: clock) }
            // The 15 over the bound are answered while the lock is still held.
            try await expectEventually { clock.count >= 15 }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(clock.count == 15)
            try holder.query("ROLLBACK")

            let answers = try await queued.value
            #expect(try await first.status == .ok)
            let refused = answers.filter { $0.status == .serviceUnavailable }
            #expect(refused.count == 15)
            #expect(refused.allSatisfy { $0.headers[.retryAfter] != nil && $0.text.contains("too many orders are waiting") })
            #expect(answers.filter { $0.status == .ok }.count == 5)
            #expect(try path.count("buy_order") == 6)
        }
    }

    @Test func refusesAnOrderThatWaitedPastTheQueueTimeout() async throws {
        try await WritePath.run(configure: {
            $0.writer.queueTimeout = .milliseconds(500)
            $0.writeDatabase.options.lockTimeout = .seconds(30)
        }) { client, path in
            let holder = try path.holdTotal()
            async let first = WritePath.put(client, body: WritePath.body())
            try await expectEventually { try path.lockWaiters() == 1 }
            let second = try await WritePath.put(client, body: WritePath.body())
            #expect(second.status == .serviceUnavailable)
            #expect(second.headers[.retryAfter] != nil)
            #expect(second.text.contains("waited too long to be written"), "\(second.text)")
            try holder.query("ROLLBACK")
            #expect(try await first.status == .ok)
            #expect(try path.count("buy_order") == 1)
        }
    }

    @Test func failsEveryQueuedOrderAtOnceWhileTheDatabaseIsSilent() async throws {
        let silent = try SilentListener()
        try await WritePath.run(
            waitForReady: false,
            configure: {
                $0.writeDatabase.url = PostgresURL(testURL: URL(string: "postgresql://postgres@127.0.0.1:\(silent.port)/write_model")!)
                $0.writeDatabase.options.connectTimeout = .seconds(4)
                $0.writer.maxBatchSize = 16
                // Long enough that only the circuit, not the queue's deadline, can fail the queue early.
                $0.writer.queueTimeout = .seconds(60)
            }
        ) { client, path in
            try await expectEventually(within: .seconds(15)) {
                try await WritePath.ready(client).body.contains(#"{"name":"btc_price","status":"up"}"#)
            }
            // 160 orders are 10 batches of 16: without the circuit each batch waits 4 s for its connect.
            let clock = AnswerClock()
            let started = ContinuousClock.now
            let answers = try await WritePath.putAll(client, (0..<160).map { _ in WritePath.body() }, clock: clock)
            #expect(answers.count == 160)
            #expect(answers.allSatisfy { $0.status == .serviceUnavailable && $0.headers[.retryAfter] != nil })
            #expect(answers.allSatisfy { $0.text.contains("the database is not reachable; nothing was stored") })
            // The first batch waits for its connect timeout; every other fails within moments of it.
            let (first, last) = clock.range
            #expect(last - first < .seconds(4), "answers spread over \(last - first)")
            #expect(last - started < .seconds(15))

            // A new order fails fast too, instead of waiting for a connect.
            let before = ContinuousClock.now
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .serviceUnavailable)
            #expect(ContinuousClock.now - before < .seconds(3))
            let ready = try await WritePath.ready(client)
            #expect(ready.status == .serviceUnavailable && ready.body.contains("not connecting"), "\(ready.body)")
        }
    }
}
