import Core
import Foundation
import Prometheus
import Testing
import TestSupport

@testable import BTCPrice

/// btc-price (simulated prices, so it needs nothing else) on a real socket, with short limits, and
/// clients that write HTTP by hand: too slowly, not at all, too many, or as HTTP/1.0.
@Suite struct ConnectionLimitsTests {
    static let health = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"

    func withBTCPrice(
        _ limits: @Sendable (inout HTTPServerSettings) -> Void, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        var settings = try BTCPriceSettings(environment: EnvironmentReader(["PRICE_SOURCE": "simulated"]))
        settings.server.port = 0
        limits(&settings.server)
        let app = try await buildBTCPrice(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
        try await withLiveApplication(app) { live in try await body(live.port) }
    }

    func expectHealthy(_ connection: RawHTTPConnection, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await connection.send(Self.health)
        let response = try await connection.response()
        #expect(response.status == 200, sourceLocation: sourceLocation)
        #expect(response.headers["connection"] != "close", sourceLocation: sourceLocation)
    }

    @Test func disconnectsAClientWhoseHeadArrivesOneByteAtATime() async throws {
        try await withBTCPrice({ $0.headerTimeout = .seconds(1) }) { port in
            let slow = try await RawHTTPConnection.open(port: port)
            // 40 bytes at 1 per second would take 40 s; the server closes after about 1 s.
            let sentAll = try await slow.sendSlowly(Self.health, every: .seconds(1))
            #expect(!sentAll, "the server waited for the whole head")
            #expect(await slow.closesByServer(within: .seconds(5)))
            // A client that sends at once is served as ever.
            try await expectHealthy(try await RawHTTPConnection.open(port: port))
        }
    }

    @Test func timesTheHeadFromItsFirstByteNotFromTheLastResponse() async throws {
        try await withBTCPrice({ $0.headerTimeout = .seconds(1); $0.idleTimeout = .seconds(60) }) { port in
            let connection = try await RawHTTPConnection.open(port: port)
            try await expectHealthy(connection)
            try await Task.sleep(for: .seconds(2))
            try await expectHealthy(connection)
        }
    }

    @Test func closesAnIdleKeptAliveConnectionButNotAnActiveOne() async throws {
        // 5 s: the active connection's requests, 300 ms apart, stay well inside it even when the
        // machine is so loaded that a task waits a few seconds for a thread.
        try await withBTCPrice({ $0.idleTimeout = .seconds(5) }) { port in
            let idle = try await RawHTTPConnection.open(port: port)
            let active = try await RawHTTPConnection.open(port: port)
            try await expectHealthy(idle)
            try await expectHealthy(active)
            // The active one asks every 300 ms for 8 s, past the idle timeout.
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(8) {
                try await expectHealthy(active)
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(await idle.closesByServer(within: .seconds(15)))
            try await expectHealthy(active)
        }
    }

    @Test func holdsConnectionsPastTheBoundUntilOthersClose() async throws {
        try await withBTCPrice({ $0.maxConnections = 3 }) { port in
            var open: [RawHTTPConnection] = []
            for _ in 0..<3 {
                let connection = try await RawHTTPConnection.open(port: port)
                try await expectHealthy(connection)
                open.append(connection)
            }
            // The fourth connects (into the listen backlog) but is not served while three are open.
            let waiting = try await RawHTTPConnection.open(port: port)
            try await waiting.send(Self.health)
            await #expect(throws: RawHTTPConnection.Failure.self) { try await waiting.response(within: .seconds(2)) }
            // The service stays healthy for the connections it holds.
            try await expectHealthy(open[0])
            // Once one closes, the waiting one is served.
            open.removeFirst().close()
            let answer = try await waiting.response(within: .seconds(10))
            #expect(answer.status == 200)
            try await expectHealthy(open[0])
        }
    }

    @Test func closesAnHTTP10ConnectionAfterItsAnswerUnlessItAsksToKeepIt() async throws {
        try await withBTCPrice({ _ in }) { port in
            let plain = try await RawHTTPConnection.open(port: port)
            try await plain.send("GET /health HTTP/1.0\r\n\r\n")
            let answer = try await plain.response()
            #expect(answer.status == 200)
            #expect(answer.headers["connection"] == "close")
            #expect(await plain.closesByServer(within: .seconds(5)))

            let keptAlive = try await RawHTTPConnection.open(port: port)
            for _ in 0..<2 {
                try await keptAlive.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(try await keptAlive.response().status == 200)
            }

            let closing = try await RawHTTPConnection.open(port: port)
            try await closing.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(try await closing.response().headers["connection"] == "close")
            #expect(await closing.closesByServer(within: .seconds(5)))
        }
    }

    @Test func dropsWhatAClientPipelinesAfterItsLastRequest() async throws {
        try await withBTCPrice({ _ in }) { port in
            let connection = try await RawHTTPConnection.open(port: port)
            try await connection.send("GET /health HTTP/1.0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.response().headers["connection"] == "close")
            #expect(await connection.closesByServer(within: .seconds(5)))
            await #expect(throws: RawHTTPConnection.Failure.self) { try await connection.response(within: .seconds(1)) }
        }
    }
}
