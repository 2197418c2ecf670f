import Core
import Foundation
import Prometheus
import Synchronization
import Testing
import TestSupport

@testable import BTCPrice

@Suite struct ShutdownRaceTests {
    /// NIO drops a connection it accepts as the listener closes. Wrapped for Hummingbird's request loop at
    /// accept time, the dropped connection stopped the process ("Deinited NIOAsyncWriter without calling
    /// finish()") in every run of this test; it is now closed by its guard.
    @Test func survivesConnectionsArrivingAsTheListenerCloses() async throws {
        for _ in 0..<20 {
            var settings = try BTCPriceSettings(environment: EnvironmentReader(["PRICE_SOURCE": "simulated"]))
            settings.server.port = 0
            settings.server.drainGrace = .milliseconds(100)
            let app = try await buildBTCPrice(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
            try await withLiveApplication(app) { live in
                let port = live.port
                let stop = Atomic(false)
                let clients = Task.detached {
                    try await onOwnThread {
                        var attempts = 0
                        while !stop.load(ordering: .relaxed), attempts < 100_000 {
                            (try? RawHTTPConnection(port: port, within: .milliseconds(200)))?.close()
                            attempts += 1
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
                await live.beginGracefulShutdown()
                try await Task.sleep(for: .milliseconds(300))
                stop.store(true, ordering: .relaxed)
                try await clients.value
            }
        }
    }
}
