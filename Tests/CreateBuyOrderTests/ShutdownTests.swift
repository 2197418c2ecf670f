import Core
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@testable import CreateBuyOrder

/// SIGTERM to the real `create-buy-order` executable while its database holds it up: every request
/// in flight gets an answer, and the process exits 0 within the documented time with a "stopped" line.
@Suite struct ShutdownTests {
    /// README: graceful shutdown 10 s, then 3 s of cancellation.
    static let documentedExitTime = ServiceMain.gracefulShutdownLimit + ServiceMain.cancellationLimit

    @Test func sigtermWhileTwentyFourOrdersWaitOnAHeldLockAnswersEveryOneAndExitsZero() async throws {
        let database = try TestDatabase.create(.writeModel)
        try await WritePath.withPrices { priceURL in
            // Bounds of 6 s (2 s and 3 s by default) leave time to see all 24 waiting, even on a loaded
            // machine, before the first gives up; they still end well within the 10 s of draining.
            let service = try CreateBuyOrderProcess(
                database: database, priceURL: priceURL,
                environment: ["DB_LOCK_TIMEOUT_MS": "6000", "WRITE_QUEUE_TIMEOUT_MS": "5500"])
            try await service.waitUntilReady()
            // Held for 20 s at most: longer than the old 4 s of graceful shutdown and than the new bounds.
            let holder = try database.connect()
            try holder.query("SET idle_in_transaction_session_timeout = 20000")
            try holder.query("BEGIN")
            try holder.query("SELECT total FROM btc_total FOR UPDATE")

            let http = service.http
            let answers = Task { try await http.putAll(24) }
            // The first batch waits for the lock, and every order is in it or in the writer's queue.
            try await expectEventually(within: .seconds(20)) {
                try database.connect().query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                ).first?["n"] == "1"
            }
            try await expectEventually(within: .seconds(20)) {
                let taken = try await http.metric("order_batch_size_sum") ?? 0
                return try await taken + (http.metric("order_queue_length") ?? 0) == 24
            }
            let stopping = ContinuousClock.now
            service.process.send(SIGTERM)
            let exit = await service.exit(within: .seconds(30))
            let elapsed = ContinuousClock.now - stopping
            #expect(exit == .exited(0), "\(service.log)")
            #expect(elapsed < Self.documentedExitTime, "exit took \(elapsed)")
            let statuses = try await answers.value
            #expect(statuses.count == 24)
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .serviceUnavailable }, "\(statuses)")
            #expect(service.log.contains(#""event":"stopped""#))
            _ = try? holder.query("ROLLBACK")
            service.removeLog()
        }
    }

    @Test func sigtermDuringADatabaseOutageExitsZeroAfterAnsweringEveryRequest() async throws {
        let server = try await onOwnThread { try PrivateServer.start(.postgres) }
        defer { server.stop() }
        let database = try server.database("write_model", migrating: .writeModel)
        try await WritePath.withPrices { priceURL in
            let service = try CreateBuyOrderProcess(database: database, priceURL: priceURL)
            try await service.waitUntilReady()
            try await onOwnThread { try server.pause() }
            let http = service.http
            let during = try await http.putAll(24)
            #expect(during.allSatisfy { $0 == .serviceUnavailable }, "\(during)")

            let answers = Task { try await http.putAll(24) }
            let stopping = ContinuousClock.now
            service.process.send(SIGTERM)
            let exit = await service.exit(within: .seconds(30))
            let elapsed = ContinuousClock.now - stopping
            #expect(exit == .exited(0), "\(service.log)")
            #expect(elapsed < Self.documentedExitTime, "exit took \(elapsed)")
            // Sent as the listener closed: each is answered, or its connection was refused; none hangs.
            _ = try? await answers.value
            #expect(service.log.contains(#""event":"stopped""#))
            service.removeLog()
        }
    }
}

/// The built `create-buy-order` on a free port, with its own log file, against `database` and the
/// btc-price at `priceURL`. Its relay points at a closed port: events stay in the outbox.
struct CreateBuyOrderProcess {
    let process: ChildProcess
    let http: ServiceHTTP
    let logPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("create-buy-order-\(UUID().uuidString.prefix(8).lowercased()).log").path

    init(database: TestDatabase, priceURL: URL, environment: [String: String] = [:]) throws {
        http = ServiceHTTP(port: try PrivateServer.freePort())
        process = try ChildProcess(
            BuiltProducts.executable("create-buy-order"),
            environment: [
                "WRITE_DB_URL": database.url.absoluteString, "BTC_PRICE_URL": priceURL.absoluteString,
                "AMQP_URL": "amqp://guest:guest@127.0.0.1:9/%2f", "HOST": "127.0.0.1", "PORT": "\(http.port)",
                "ANONYMOUS_CLIENT": "default",
                "LOG_LEVEL": "info", "PRICE_POLL_INTERVAL_MS": "100",
            ].merging(environment) { $1 },
            output: logPath, errors: logPath)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func removeLog() { try? FileManager.default.removeItem(atPath: logPath) }

    func waitUntilReady() async throws {
        let http = http
        let ready = await eventually(within: .seconds(30)) {
            (try? await http.request(.get, "/ready").status) == .ok
        }
        guard ready else { throw NotReady("create-buy-order did not become ready: \(log)") }
    }

    /// How the process ended, once it did within `limit`; nil if it still runs.
    func exit(within limit: Duration) async -> ChildProcess.Termination? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let termination = process.wait(within: .zero) { return termination }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.wait(within: .zero)
    }
}

/// HTTP requests to a service on loopback, each on a connection of its own.
struct ServiceHTTP: Sendable {
    let port: Int

    func request(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil) async throws -> TestClient.Response {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) {
            client in
            try await client.execute(
                TestClient.Request(
                    uri, method: method, authority: "127.0.0.1", headers: [.contentType: "application/json"],
                    body: body.map { ByteBuffer(string: $0) }))
        }
    }

    /// The value of an unlabelled metric on `/metrics`.
    func metric(_ name: String) async throws -> Double? {
        let text = String(buffer: try await request(.get, "/metrics").body ?? ByteBuffer())
        return text.split(separator: "\n").first { $0.hasPrefix("\(name) ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
    }

    /// `count` orders at once, each on a raw connection with bounded waits (the service may exit
    /// meanwhile, and a request must then fail rather than wait for ever); their statuses.
    func putAll(_ count: Int) async throws -> [HTTPResponse.Status] {
        try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for _ in 0..<count {
                group.addTask { [port] in
                    let body = WritePath.body()
                    let connection = try await RawHTTPConnection.open(port: port)
                    defer { connection.close() }
                    try await connection.send(
                        "PUT /buy_order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                    return HTTPResponse.Status(code: try await connection.response(within: .seconds(30)).status)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
