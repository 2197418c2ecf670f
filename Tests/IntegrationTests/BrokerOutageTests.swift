import Core
import Foundation
import Testing
import TestSupport

@testable import ReadModelSync

/// RabbitMQ stopped and started again while orders are being created. The broker is the test's own:
/// stopping the shared one would break the other tests.
@Suite struct BrokerOutageTests {
    @Test func everyOrderAcceptedWhileRabbitMQIsDownReachesTheReadModel() async throws {
        try await withPrivateServer(.rabbitmq) { broker in try await Self.ordersAcceptedWhileDown(broker) }
    }

    static func ordersAcceptedWhileDown(_ broker: PrivateServer) async throws {
        let amqp = AMQPSettings(
            endpoint: AMQPEndpoint(host: "127.0.0.1", port: broker.port), connectTimeout: .seconds(2),
            rpcTimeout: .seconds(5))
        try await Cluster.run(amqp: amqp) { client, cluster in
            let feed = OrderFeed()
            try await withThrowingTaskGroup { group in
                group.addTask { try await feed.run(client, limit: 30_000) }
                defer { feed.stop() }
                try #require(await eventually(within: .seconds(90)) { try cluster.projectedCount >= 50 })

                try await onOwnThread { try broker.pause() }
                let acceptedBeforeStart = feed.acceptedCount
                try #require(await eventually(within: .seconds(90)) { feed.acceptedCount >= acceptedBeforeStart + 200 })
                // Orders keep being accepted, and their events wait in the outbox.
                #expect(try cluster.unsentEvents > 0)

                try await onOwnThread { try broker.resume() }
                let acceptedAfterStart = feed.acceptedCount
                try #require(await eventually(within: .seconds(90)) { feed.acceptedCount >= acceptedAfterStart + 200 })
                feed.stop()
                try await group.waitForAll()
            }

            let accepted = feed.accepted
            #expect(feed.refused == 0)
            try await expectEventually(within: .seconds(60)) { try cluster.projectedCount == accepted.count }
            #expect(try cluster.unsentEvents == 0)
            let missing = Set(accepted).subtracting(try cluster.projectedIDs)
            #expect(missing.count == 0, "accepted orders not projected, such as \(missing.sorted().prefix(3))")
            #expect(try ReadModelAdmin(write: cluster.write.connect(), read: cluster.read.connect()).verify() == nil)
        }
    }
}
