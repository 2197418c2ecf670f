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
        // Stopping a broker needs one of the test's own; a silent network only a virtual host of the shared one.
        switch outage {
        case .brokerStopped: try await withPrivateServer(.rabbitmq) { try await Self.sigterm(during: outage, broker: $0) }
        case .networkSilent: try await Self.sigterm(during: outage, broker: nil)
        }
    }

    static func sigterm(during outage: Outage, broker: PrivateServer?) async throws {
        let virtualHost = outage == .networkSilent ? try await onOwnThread { try TestVirtualHost.create() } : nil
        let proxy = try TCPProxy(targetPort: try AMQPEndpoint(url: TestServers.amqpURL()).port)
        defer { proxy.stop() }
        var url = try #require(URL(string: "amqp://guest:guest@127.0.0.1:\(broker?.port ?? 0)/%2f"))
        if let virtualHost {
            var components = try #require(URLComponents(url: virtualHost.url, resolvingAgainstBaseURL: false))
            components.port = proxy.port
            url = try #require(components.url)
        }
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        var sync = ReadModelSyncProcess(write: write, read: read, amqpURL: url)
        sync.logLevel = "info"
        let process = try sync.start()
        try #require(await eventually(within: .seconds(60)) { try await sync.get("/ready")?.status == 200 })

        switch outage {
        case .brokerStopped: try await onOwnThread { try broker?.pause() }
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
        if let virtualHost { try await onOwnThread { virtualHost.delete() } }
    }
}
