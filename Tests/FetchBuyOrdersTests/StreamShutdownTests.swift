import Core
import Foundation
import Testing
import TestSupport

@testable import FetchBuyOrders

/// SIGTERM to the real `fetch-buy-orders` with streams open: each reading stream gets a last comment and
/// the body's end, a stream whose reader does not read is cut, and the process exits 0 within its
/// graceful shutdown limit.
@Suite struct StreamShutdownTests {
    @Test func sigtermEndsEveryStreamAndExitsCleanlyWithinTheLimit() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        let port = try PrivateServer.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-buy-orders-\(UUID().uuidString.prefix(8)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try ChildProcess(
            BuiltProducts.executable("fetch-buy-orders"),
            environment: [
                "READ_DB_URL": database.url.absoluteString, "HOST": "127.0.0.1", "PORT": "\(port)", "LOG_LEVEL": "info",
                "ANONYMOUS_CLIENT": "default", "STREAM_BUFFER_EVENTS": "100000",
            ],
            output: log, errors: log)
        try #require(
            await eventually(within: .seconds(60)) {
                guard let probe = try? await EventStreamConnection.open(port: port, path: StreamRouteTests.path) else { return false }
                defer { probe.close() }
                return probe.status == 200
            })
        let readers = [
            try await EventStreamConnection.open(port: port, path: StreamRouteTests.path),
            try await EventStreamConnection.open(port: port, path: StreamRouteTests.path + "?currency=USD"),
        ]
        let stalled = try await EventStreamConnection.open(port: port, path: StreamRouteTests.path, receiveBuffer: 4096)
        // More than the socket buffers hold (the kernel's send buffer grows to 4 MiB), so the stalled
        // stream waits on a write at shutdown.
        var ids: [String] = []
        for _ in 0..<30 { ids += try ProjectedOrders(database: database).project(1000).map(\.id) }
        #expect(try await readers[0].orders(ids.count, within: .seconds(180)).map(\.orderID) == ids)

        let signalled = ContinuousClock.now
        process.send(SIGTERM)
        for reader in readers {
            let rest = try await reader.rest(within: .seconds(20))
            #expect(reader.ending == .clean)
            #expect(rest.last?.comments.first?.contains("shutting down") == true, "\(rest.suffix(2))")
        }
        let termination = process.wait(within: .seconds(20))
        let took = ContinuousClock.now - signalled
        #expect(termination == .exited(0), "\(termination.map(\.description) ?? "still running") after \(took)")
        #expect(took < ServiceMain.gracefulShutdownLimit, "took \(took)")
        _ = try await stalled.rest(within: .seconds(20))
        #expect(stalled.ending == .cut)
        let lines = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(lines.contains(#""stopped""#))
    }
}
