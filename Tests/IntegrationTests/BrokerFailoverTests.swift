import Core
import Foundation
import Prometheus
import TestSupport
import Testing

/// A private RabbitMQ cluster of three nodes (scripts/rabbitmq_cluster.sh), the quorum queue on all of
/// them, and `AMQP_URL` listing every node. The node the outbox relay and the projection use is killed
/// while orders flow; they fail over to another node.
@Suite(.serialized) struct BrokerFailoverTests {
    @Test func theRelayAndTheProjectionFailOverToAnotherNodeLosingNothing() async throws {
        let cluster = try await onOwnThread { try PrivateRabbitMQCluster.start(nodes: 3) }
        defer { cluster.stop() }
        let amqp = try AMQPSettings.from(EnvironmentReader(["AMQP_URL": try cluster.amqpURL()]), connectionName: "failover")
        #expect(amqp.endpoints.count == 3)
        try await Cluster.run(amqp: amqp) { client, services in
            let feed = OrderFeed()
            async let feeding: Void = feed.run(client, limit: 5000)
            try await expectEventually(within: .seconds(60)) { try services.projectedCount >= 20 }
            let members = try cluster.ctl(node: 2, "list_queues", "name", "type", "members")
            #expect(members.contains("read_model_sync\tquorum\t"), "\(members)")
            #expect(
                members.split(separator: "\n").first { $0.hasPrefix("read_model_sync\t") }.map { $0.components(separatedBy: "@").count - 1 } == 3,
                "the quorum queue has a member on every node: \(members)")
            // Both connect to the first broker of the list.
            let relayNode = try cluster.nodes(servingConnectionsMentioning: "failover/outbox-relay", askingNode: 2)
            let projectionNode = try cluster.nodes(servingConnectionsMentioning: "failover/projection", askingNode: 2)
            #expect(relayNode == [1] && projectionNode == [1])

            try await onOwnThread { try cluster.kill(node: 1) }
            let acceptedAtKill = feed.acceptedCount
            // Orders keep coming in (the write side needs no broker), and the loops find another node.
            try await expectEventually(within: .seconds(120)) {
                let relay = try cluster.nodes(servingConnectionsMentioning: "failover/outbox-relay", askingNode: 2)
                let projection = try cluster.nodes(servingConnectionsMentioning: "failover/projection", askingNode: 2)
                return relay.count == 1 && projection.count == 1 && !relay.contains(1) && !projection.contains(1)
            }
            try await expectEventually(within: .seconds(60)) {
                try feed.acceptedCount >= acceptedAtKill + 100 && services.projectedCount >= acceptedAtKill + 50
            }
            feed.stop()
            try await feeding

            try await expectEventually(within: .seconds(90)) {
                try services.unsentEvents == 0 && services.projectedCount == feed.acceptedCount
            }
            let projected = try services.projectedIDs
            let accepted = feed.accepted
            #expect(Set(accepted).subtracting(projected).isEmpty, "accepted orders missing from the read model")
            #expect(Set(projected).subtracting(accepted).isEmpty, "projected orders nobody was answered")
            #expect(projected.count == accepted.count)
            #expect(feed.refused == 0)
            let relayMetrics = MetricsReading(services.createBuyOrderMetrics)
            let projectionMetrics = MetricsReading(services.readModelSyncMetrics)
            #expect((relayMetrics.value("amqp_reconnects_total", #"session="outbox-relay""#) ?? 0) >= 1)
            #expect((projectionMetrics.value("amqp_reconnects_total", #"session="projection""#) ?? 0) >= 1)
        }
    }
}
