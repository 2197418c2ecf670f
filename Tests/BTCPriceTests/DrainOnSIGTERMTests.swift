import Foundation
import Testing
import TestSupport

/// The built btc-price binary (simulated prices), limited through its environment and stopped with a
/// real SIGTERM.
@Suite struct DrainOnSIGTERMTests {
    static let health = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"

    struct NotServing: Error {
        let port: Int
    }

    struct Running {
        let process: ChildProcess
        let port: Int
    }

    func startBTCPrice() async throws -> Running {
        let port = try PrivateServer.freePort()
        let process = try ChildProcess(
            BuiltProducts.executable("btc-price"),
            environment: [
                "PRICE_SOURCE": "simulated", "HOST": "127.0.0.1", "PORT": "\(port)", "LOG_LEVEL": "warning",
                "HTTP_HEADER_TIMEOUT_S": "1", "HTTP_DRAIN_GRACE_MS": "3000",
            ])
        let up = await eventually(within: .seconds(30)) {
            guard let probe = try? await RawHTTPConnection.open(port: port, within: .seconds(1)) else { return false }
            try? await probe.send(Self.health)
            return (try? await probe.response(within: .seconds(2)).status) == 200
        }
        guard up else { throw NotServing(port: port) }
        return Running(process: process, port: port)
    }

    @Test func answersARequestOnAKeptAliveConnectionWithCloseAfterSIGTERM() async throws {
        let service = try await startBTCPrice()
        let connection = try await RawHTTPConnection.open(port: service.port)
        try await connection.send(Self.health)
        #expect(try await connection.response().headers["connection"] == nil)

        service.process.send(SIGTERM)
        try await expectEventually(within: .seconds(20)) {
            (try? await RawHTTPConnection.open(port: service.port, within: .seconds(1))) == nil
        }
        try await connection.send(Self.health)
        let answer = try await connection.response()
        #expect(answer.status == 200)
        #expect(answer.headers["connection"] == "close")
        #expect(await connection.closesByServer(within: .seconds(10)))
        #expect(service.process.wait(within: .seconds(20)) == .exited(0))
    }

    @Test func disconnectsASlowClientAfterTheHeaderTimeoutItsEnvironmentSets() async throws {
        let service = try await startBTCPrice()
        let slow = try await RawHTTPConnection.open(port: service.port)
        #expect(try await slow.sendSlowly(Self.health, every: .milliseconds(200)) == false)
        service.process.send(SIGTERM)
        #expect(service.process.wait(within: .seconds(20)) == .exited(0))
    }
}
