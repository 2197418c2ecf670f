import Core
import Foundation
import Testing
import TestSupport

@testable import ReadModelSync

/// The network between the services and RabbitMQ goes silent (a proxy stops forwarding, closing
/// nothing) while orders are being created, then comes back. Both loops learn of it from the missing
/// heartbeats, reconnect, and every accepted order reaches the read model.
@Suite struct SilentNetworkTests {
    @Test func relayAndConsumerReconnectAfterTheNetworkWentSilentAndLoseNothing() async throws {
        let virtualHost = try await onOwnThread { try TestVirtualHost.create() }
        let shared = try AMQPEndpoint(url: virtualHost.url)
        let proxy = try TCPProxy(targetPort: shared.port)
        defer { proxy.stop() }
        var endpoint = shared
        endpoint.port = proxy.port
        let amqp = AMQPSettings(endpoint: endpoint, heartbeat: .seconds(1), connectTimeout: .seconds(1), rpcTimeout: .seconds(2))
        try await Cluster.run(amqp: amqp) { client, cluster in
            let feed = OrderFeed()
            try await withThrowingTaskGroup { group in
                group.addTask { try await feed.run(client, limit: 30_000) }
                defer { feed.stop() }
                try #require(await eventually(within: .seconds(30)) { try cluster.projectedCount >= 20 })

                proxy.pause()
                let session = #"session="outbox-relay""#
                try #require(
                    await eventually(within: .seconds(20)) {
                        MetricsReading(cluster.createBuyOrderMetrics).value("amqp_connected", session) == 0
                            && MetricsReading(cluster.readModelSyncMetrics).value("amqp_connected", #"session="projection""#) == 0
                    })
                let acceptedWhileSilent = feed.acceptedCount
                try #require(
                    await eventually(within: .seconds(30)) { feed.acceptedCount >= acceptedWhileSilent + 50 },
                    "accepted \(feed.acceptedCount - acceptedWhileSilent) while silent, \(feed.refused) refused in all")
                #expect(try cluster.unsentEvents > 0)

                proxy.resume()
                let acceptedAfter = feed.acceptedCount
                try #require(await eventually(within: .seconds(30)) { feed.acceptedCount >= acceptedAfter + 50 })
                feed.stop()
                try await group.waitForAll()
            }
            let accepted = feed.accepted
            #expect(feed.refused == 0)
            try await expectEventually(within: .seconds(60)) { try cluster.projectedCount == accepted.count }
            #expect(try cluster.unsentEvents == 0)
            let missing = Set(accepted).subtracting(try cluster.projectedIDs)
            #expect(missing.isEmpty, "accepted orders not projected, such as \(missing.sorted().prefix(3))")
            #expect(try ReadModelAdmin(write: cluster.write.connect(), read: cluster.read.connect()).verify() == nil)
            #expect(MetricsReading(cluster.createBuyOrderMetrics).value("amqp_reconnects_total", #"session="outbox-relay""#) ?? 0 >= 1)
            #expect(MetricsReading(cluster.readModelSyncMetrics).value("amqp_reconnects_total", #"session="projection""#) ?? 0 >= 1)
            #expect(MetricsReading(cluster.readModelSyncMetrics).value("events_dead_lettered_total") == 0)
        }
        try await onOwnThread { virtualHost.delete() }
    }
}
