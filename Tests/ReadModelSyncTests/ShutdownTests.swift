import Core
import Foundation
import Testing
import TestSupport

/// SIGTERM to the real `read-model-sync` while its broker is away: it stops within its graceful
/// shutdown limit (exit 0 and a "stopped" line; past the limit ServiceLifecycle would cancel and crash).
@Suite struct ShutdownTests {
    enum Outage: String, CaseIterable, Sendable {
        /// The broker process is stopped: connections are refused.
        case brokerStopped
        /// A proxy in front of the broker stops forwarding: the connection stays open and silent.
        case networkSilent
    }

    @Test(arguments: Outage.allCases)
    func sigtermDuringABrokerOutageExitsCleanlyAndPromptly(outage: Outage) async throws {
        let broker = try await onOwnThread { try PrivateServer.start(.rabbitmq) }
        defer { broker.stop() }
        let proxy = try TCPProxy(targetPort: broker.port)
        defer { proxy.stop() }
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let port = outage == .networkSilent ? proxy.port : broker.port
        var sync = ReadModelSyncProcess(
            write: write, read: read, amqpURL: try #require(URL(string: "amqp://guest:guest@127.0.0.1:\(port)/%2f")))
        sync.logLevel = "info"
        let process = try sync.start()
        try #require(await eventually(within: .seconds(60)) { try await sync.get("/ready")?.status == 200 })

        switch outage {
        case .brokerStopped: try await onOwnThread { try broker.pause() }
        case .networkSilent: proxy.pause()
        }
        // Into the outage: reconnecting with backoff, or waiting on a connection that hears nothing.
        try await Task.sleep(for: .seconds(2))
        let signalled = ContinuousClock.now
        process.send(SIGTERM)
        let termination = process.wait(within: .seconds(20))
        let took = ContinuousClock.now - signalled
        // Exit 0 means within the graceful shutdown limit: past it ServiceLifecycle cancels, then crashes.
        #expect(termination == .exited(0), "\(outage): \(termination.map(\.description) ?? "still running") after \(took)")
        #expect(!sync.logLines(containing: #""stopped""#).isEmpty)
        sync.removeLog()
    }
}
