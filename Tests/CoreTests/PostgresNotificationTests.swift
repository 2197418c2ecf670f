import Core
import Foundation
import Synchronization
import Testing
import TestSupport

/// Waiting for NOTIFY on a LISTEN connection, as the relay and the stream fan-out wait.
@Suite struct PostgresNotificationTests {
    @Test func aWaitWhoseDeadlineJustPassedOnlyLooks() async throws {
        let database = try TestDatabase.create(nil)
        let connection = try database.connect()
        _ = try connection.query("LISTEN nothing_comes")
        // A loop that computes `deadline - now` after checking `now < deadline` can hand over a few
        // microseconds below zero; poll(2) took -4 ms as "wait forever", and nothing ever came.
        let returned = Atomic(false)
        Thread.detachNewThread {
            _ = try? connection.waitForNotifications(timeout: -0.0043)
            returned.store(true, ordering: .relaxed)
        }
        try await expectEventually(within: .seconds(10)) { returned.load(ordering: .relaxed) }
    }

    @Test func aWaitEndsWithTheNotificationThatCame() async throws {
        let database = try TestDatabase.create(nil)
        let listener = try database.connect()
        _ = try listener.query("LISTEN orders_came")
        _ = try database.connect().query("NOTIFY orders_came")
        #expect(try listener.waitForNotifications(timeout: 10) == ["orders_came"])
    }
}
