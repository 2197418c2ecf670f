import Core
import Foundation
import Testing

/// AMQPWorker: a connection on its own thread, prepared and replaced by the connector.
@Suite struct AMQPWorkerTests {
    @Test func preparedWorkersPublishAndConsume() async throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let publisher = AMQPWorker(connector: try AMQPTest.connector(topology))
        let consumer = AMQPWorker(
            connector: try AMQPTest.connector(topology, consumer: .init(queue: topology.queue, prefetch: 10))
        )
        try await consumer.connect()
        #expect(consumer.isConnected)

        try await publisher.withConnection { try $0.publish(AMQPTest.message(topology, body: "hello", id: "h1")) }
        let delivery = try await consumer.withConnection { connection -> AMQPDelivery? in
            guard let delivery = try connection.nextDelivery(timeout: .seconds(10)) else { return nil }
            try connection.ack(delivery.tag)
            return delivery
        }
        #expect(delivery?.messageID == "h1")
        await publisher.close()
        await consumer.close()
    }

    @Test func thousandMessagesAreAllConfirmedAndAllConsumed() async throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let publisher = AMQPWorker(connector: try AMQPTest.connector(topology))
        let consumer = AMQPWorker(
            connector: try AMQPTest.connector(topology, consumer: .init(queue: topology.queue, prefetch: 200))
        )
        let messages = (0..<1000).map { AMQPTest.message(topology, body: #"{"n":\#($0)}"#, id: "m\($0)") }

        let outcomes = try await publisher.withConnection { try $0.publishBatch(messages, timeout: .seconds(30)) }
        #expect(outcomes == Array(repeating: .confirmed, count: 1000))

        let received = try await consumer.withConnection { connection -> Set<String> in
            var ids: Set<String> = []
            while ids.count < 1000, let delivery = try connection.nextDelivery(timeout: .seconds(10)) {
                ids.insert(delivery.messageID ?? "")
                try connection.ack(delivery.tag)
            }
            return ids
        }
        #expect(received == Set(messages.compactMap(\.messageID)))
        await publisher.close()
        await consumer.close()
    }

    @Test func idleWorkerKeepsItsConnectionAlive() async throws {
        let worker = AMQPWorker(connector: try AMQPTest.connector(nil, heartbeat: .seconds(1)))
        let first = try await worker.withConnection { $0.id }
        // Idle for several heartbeat intervals: without the worker's heartbeats the broker would close it.
        try await Task.sleep(for: .seconds(4))
        let second = try await worker.withConnection { $0.id }
        #expect(second == first)
        await worker.close()
    }

    @Test func brokenConnectionIsReplacedAndPreparedAgain() async throws {
        let topology = AMQPTest.topology()
        defer { AMQPTest.remove(topology) }
        let worker = AMQPWorker(connector: try AMQPTest.connector(topology))
        let first = try await worker.withConnection { $0.id }
        await #expect(throws: AMQPError.self) {
            try await worker.withConnection { try $0.messageCount(queue: "test.missing.\(UUID())") }
        }
        #expect(!worker.isConnected)
        let (second, count) = try await worker.withConnection { ($0.id, try $0.messageCount(queue: topology.queue)) }
        #expect(second != first)
        #expect(count == 0)
        await worker.close()
    }

    @Test func workerGivesUpAfterTheRetryLimit() async throws {
        let connector = try AMQPTest.connector(
            nil,
            url: AMQPTest.unusedURL(),
            retry: AMQPRetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10))
        )
        let worker = AMQPWorker(connector: connector)
        let error = await #expect(throws: AMQPError.self) { try await worker.connect() }
        #expect(error?.code == .connectionFailed)
        #expect(!worker.isConnected)
        await worker.close()
    }

    @Test func cancellingTheCallerInterruptsTheBackoff() async throws {
        let connector = try AMQPTest.connector(
            nil,
            url: AMQPTest.unusedURL(),
            retry: AMQPRetryPolicy(maxAttempts: 5, initialDelay: .seconds(600))
        )
        let worker = AMQPWorker(connector: connector)
        let attempt = Task { try await worker.connect() }
        attempt.cancel()
        await #expect(throws: CancellationError.self) { try await attempt.value }
        await worker.close()
    }

    @Test func closedWorkerRefusesWork() async throws {
        let worker = AMQPWorker(connector: try AMQPTest.connector(nil))
        try await worker.connect()
        await worker.close()
        #expect(!worker.isConnected)
        let error = await #expect(throws: AMQPError.self) { try await worker.withConnection { $0.id } }
        #expect(error?.code == .connectionClosed)
    }

    @Test func blockingConnectorRetriesThenGivesUp() throws {
        let connector = try AMQPTest.connector(nil, url: AMQPTest.unusedURL())
        let error = #expect(throws: AMQPError.self) {
            try connector.connect(retrying: AMQPRetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10)))
        }
        #expect(error?.code == .connectionFailed)
    }
}
