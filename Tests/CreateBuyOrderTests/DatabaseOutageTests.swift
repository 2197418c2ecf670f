import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CreateBuyOrder

/// The write database of a private PostgreSQL restarted and stopped under create-buy-order.
@Suite(.serialized) struct DatabaseOutageTests {
    @Test func ordersAndReadinessWorkRightAfterARestartAndAreRetryableWhileTheDatabaseIsDown() async throws {
        let server = try await onOwnThread { try PrivateServer.start(.postgres) }
        defer { server.stop() }
        let database = try server.database("write_model", migrating: .writeModel)
        let logs = LogRecorder()
        try await WritePath.run(database: database, logger: logs.logger()) { client, path in
            #expect(try await WritePath.put(client, body: WritePath.body()).status == .ok)

            // Each restart kills every pooled connection: the first order and the first /ready still work.
            try await onOwnThread { try server.restart() }
            let order = try await WritePath.put(client, body: WritePath.body())
            #expect(order.status == .ok, "\(order.text)")
            try await onOwnThread { try server.restart() }
            let ready = try await WritePath.ready(client)
            #expect(ready.status == .ok, "\(ready.body)")

            // Stopped: a retryable 503 for every order, never a 500, and one log line for the outage.
            try await onOwnThread { try server.pause() }
            for _ in 0..<30 {
                let answer = try await WritePath.put(client, body: WritePath.body())
                #expect(answer.status == .serviceUnavailable, "\(answer.text)")
                #expect(answer.headers[.retryAfter] != nil)
                #expect(answer.text.contains("nothing was stored"))
            }
            #expect(try await WritePath.ready(client).status == .serviceUnavailable)
            #expect(logs.count("database unreachable") == 1)

            try await onOwnThread { try server.resume() }
            try await expectEventually(within: .seconds(20)) {
                try await WritePath.put(client, body: WritePath.body()).status == .ok
            }
            #expect(logs.count("database reachable again") == 1)
            #expect(logs.count("database unreachable") == 1)
            #expect(logs.count("unexpected error") == 0)
        }
    }
}
