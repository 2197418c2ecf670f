import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import ReadModelSync

/// A poison message whose dead letter the broker does not take (yet): it is never acked unapplied,
/// the good messages around it are applied, and it reaches the dead-letter queue once the broker
/// takes it again.
@Suite struct DeadLetterPublishingTests {
    @Test func aPoisonMessageStaysUnackedWhileItsDeadLetterIsReturnedAndLaterGoodOnesAreAcked() async throws {
        let setup = try ProjectionTests.Setup.make()
        let control = try RabbitMQControl.shared()
        try await setup.withReadModelSync { client in
            let broker = try setup.broker()
            try await expectEventually(within: .seconds(30)) { try await ProjectionTests.ready(client).status == .ok }
            // Without its queue the fanout dead-letter exchange routes nowhere: dead letters come back.
            try broker.deleteQueue(setup.topology.deadLetterQueue)
            try setup.publish("poison", on: broker)
            try await expectEventually(within: .seconds(30)) {
                try await ProjectionTests.metrics(client).value("dead_letter_publish_failures_total") ?? 0 >= 1
            }
            // Good events after it: their acks must not cover the poison message.
            for _ in 0..<5 { try setup.publish(try ProjectionTests.storeOrder(in: setup.write), on: broker) }
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 5 }
            try await expectEventually(within: .seconds(30)) {
                try await onOwnThread { try control.messages(in: setup.topology.queue)?.unacked } == 1
            }
            #expect(try await ProjectionTests.ready(client).body.contains("1 poison messages waiting"))

            try broker.declare(setup.topology)
            try await expectEventually(within: .seconds(30)) { try setup.deadLetterCount() >= 1 }
            try await expectEventually(within: .seconds(30)) {
                try await onOwnThread { try control.messages(in: setup.topology.queue).map { $0.ready + $0.unacked } } == 0
            }
        }
        let dead = try #require(try setup.broker().get(queue: setup.topology.deadLetterQueue))
        #expect(String(decoding: dead.body, as: UTF8.self) == "poison")
        #expect(dead.headers[AMQPMessage.deathReasonHeader] != nil)
    }

    @Test func aBrokerAlarmHoldsThePoisonMessageButNotTheGoodOnes() async throws {
        try await withPrivateServer(.rabbitmq) { server in try await Self.alarm(on: server) }
    }

    static func alarm(on server: PrivateServer) async throws {
        let control = RabbitMQControl(server)
        var configured = try ProjectionTests.Setup.make()
        configured.amqp.endpoint = AMQPEndpoint(host: "127.0.0.1", port: server.port)
        let setup = configured
        let broker = try setup.broker()
        try setup.publish("poison", on: broker)
        for _ in 0..<5 { try setup.publish(try ProjectionTests.storeOrder(in: setup.write), on: broker) }
        // A memory alarm: the broker blocks every connection that publishes, dead letters included.
        try await onOwnThread { try control.run("set_vm_memory_high_watermark", "0") }
        try await setup.withReadModelSync { client in
            try await expectEventually(within: .seconds(30)) { try setup.readCount() == 5 }
            try await expectEventually(within: .seconds(30)) {
                try await ProjectionTests.ready(client).body.contains("1 poison messages waiting")
            }
            // The broker's queue statistics lag by a few seconds.
            try await expectEventually(within: .seconds(30)) {
                try await onOwnThread { try control.messages(in: setup.topology.queue).map { "\($0)" } } == "(ready: 0, unacked: 1)"
            }
            #expect(try await onOwnThread { try control.messages(in: setup.topology.deadLetterQueue)?.ready } == 0)

            try await onOwnThread { try control.run("set_vm_memory_high_watermark", "0.4") }
            try await expectEventually(within: .seconds(30)) {
                try await onOwnThread { try control.messages(in: setup.topology.queue).map { $0.ready + $0.unacked } } == 0
            }
            try await expectEventually(within: .seconds(30)) {
                try await onOwnThread { try control.messages(in: setup.topology.deadLetterQueue)?.ready ?? 0 } >= 1
            }
        }
        #expect(try setup.admin().verify() == nil)
    }
}
