import Core
import Foundation
import TestSupport
import Testing

/// The checks of bench/scale_out.sh, lighter: two instances of create-buy-order (each with its outbox
/// relay) and two of read-model-sync, the built binaries, over one broker (a virtual host of the test's
/// own), one btc-price and one write and one read model. Clients with API keys send orders to either instance, as a
/// load balancer would, and retry a failed request with the same idempotency key on the other one.
/// One instance of each is killed (SIGKILL) while orders flow.
@Suite struct ScaleOutTests {
    @Test
    func killingOneInstanceOfEachLosesNoOrderAndDuplicatesNone() async throws {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let virtualHost = try await onOwnThread { try TestVirtualHost.create() }
        defer { virtualHost.delete() }
        // btc-price as a built binary too: an in-process server's graceful shutdown at the end of the test
        // waited for ever on connections of the killed instances it had not closed.
        let prices = try ServiceProcess(
            "btc-price",
            environment: ["PRICE_SOURCE": "simulated", "PRICE_POLL_INTERVAL_MS": "100", "LOG_LEVEL": "warning", "HOST": "127.0.0.1"])
        defer { prices.removeLog() }
        try await prices.waitUntilReady()
        let shared = [
            "WRITE_DB_URL": write.url.absoluteString, "READ_DB_URL": read.url.absoluteString,
            "AMQP_URL": virtualHost.url.absoluteString, "BTC_PRICE_URL": "http://127.0.0.1:\(prices.port)",
            "PRICE_POLL_INTERVAL_MS": "100", "LOG_LEVEL": "warning", "HOST": "127.0.0.1",
        ]
        let creates = try (0..<2).map { _ in try ServiceProcess("create-buy-order", environment: shared) }
        let syncs = try (0..<2).map { _ in try ServiceProcess("read-model-sync", environment: shared) }
        defer { (creates + syncs).forEach { $0.removeLog() } }
        for service in creates + syncs { try await service.waitUntilReady() }
        var clients: [(name: String, token: String)] = []
        for index in 1...3 {
            let name = "scale\(index)"
            clients.append((name: name, token: try await onOwnThread { try Admin.keyForNewClient(name, write: write) }))
        }

        // The first instance is reached through a proxy, so that answers can be lost on their way back
        // (as when a balancer's connection drops) while the instance still commits their orders.
        let proxy = try TCPProxy(targetPort: creates[0].port)
        defer { proxy.stop() }
        let load = OrderLoad(ports: [proxy.port, creates[1].port])
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, client) in clients.enumerated() {
                    for worker in 0..<2 {
                        group.addTask {
                            await load.run(client: client.name, token: client.token, startingAt: index + worker, limit: 400)
                        }
                    }
                }
            }
        }
        try await expectEventually(within: .seconds(30)) { load.answeredCount >= 100 }
        // Mid-stream. A batch of each instance waits for the BTC total's row, held here; the answers of
        // the first instance's batch are lost on their way back (its proxy stops forwarding) once the
        // row is free; then the instance dies with orders in its writer's queue and in flight, events
        // unconfirmed and unacked.
        let holder = try write.connect()
        try holder.query("BEGIN")
        try holder.query("SELECT total FROM btc_total FOR UPDATE")
        try await expectEventually(within: .seconds(10)) {
            let waiting = try write.connect().query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
            return Int(waiting.first?["n"] ?? "") ?? 0 >= 2
        }
        proxy.pause()
        // The proxy's thread looks at the pause between polls of 50 ms.
        try await Task.sleep(for: .milliseconds(150))
        try holder.query("ROLLBACK")
        try await Task.sleep(for: .milliseconds(500))
        creates[0].process.send(SIGKILL)
        syncs[0].process.send(SIGKILL)
        proxy.stop()
        let killedAt = load.answeredCount
        try await expectEventually(within: .seconds(40)) { load.answeredCount >= killedAt + 300 }
        load.stop()
        await workers.value

        let answered = load.answered
        #expect(load.gaveUp == 0)
        #expect(load.unexpected.isEmpty, "\(load.unexpected.prefix(5))")
        // Every order answered 200 exists once, under its key, and no other order exists.
        let stored = try write.connect().query(
            "SELECT k.client_id, k.key::text AS key, o.id::text AS id FROM buy_order o JOIN idempotency_key k ON k.buy_order_id = o.id")
        let storedByKey = Dictionary(
            uniqueKeysWithValues: try stored.map { ("\(try $0.text("client_id"))/\(try $0.text("key"))", try $0.text("id")) })
        let lost = answered.filter { storedByKey["\($0.client)/\($0.key)"] != $0.orderID }.count
        let unanswered = Set(storedByKey.values).subtracting(answered.map(\.orderID)).count
        let orders = Int(try write.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] ?? "") ?? -1
        #expect(lost == 0, "orders answered 200 that are not stored under their key")
        #expect(unanswered == 0, "orders stored that no client was answered: made twice")
        #expect(orders == storedByKey.count, "orders without a key")
        #expect(
            try write.connect().query(
                "SELECT total = (SELECT coalesce(sum(btc_amount), 0) FROM buy_order) AS equal FROM btc_total"
            ).first?["equal"] == "t")
        // The survivors publish and project what the killed ones left behind.
        try await expectEventually(within: .seconds(60)) {
            try read.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] == "\(orders)"
                && write.connect().query("SELECT count(*) AS n FROM outbox").first?["n"] == "0"
        }
        let projected = try read.connect().query("SELECT id::text AS id FROM buy_order").map { try $0.text("id") }
        #expect(Set(answered.map(\.orderID)).subtracting(projected).isEmpty, "answered orders missing from the read model")
        #expect(projected.count == Set(projected).count)
        let verified = try await syncs[1].verify()
        #expect(verified == .exited(0), "\(syncs[1].log)")
        #expect(load.retried > 0, "no request met the killed instance: the test did not kill anything in use")
        #expect(load.replayed > 0, "no answer was lost: the test did not make a retry find its order")
        print(
            "scale-out test: \(answered.count) orders answered, \(load.retried) retries with the same key "
                + "(\(load.replayed) found their order made), \(lost) lost, \(unanswered) made twice, verify \(verified)")
    }
}

/// A built service binary on a free port of its own, with its own log file.
struct ServiceProcess {
    let name: String
    let port: Int
    let environment: [String: String]
    let process: ChildProcess
    let logPath: String

    init(_ name: String, environment: [String: String]) throws {
        self.name = name
        port = try PrivateServer.freePort()
        logPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8).lowercased()).log").path
        self.environment = environment.merging(["PORT": "\(port)"]) { $1 }
        process = try ChildProcess(
            BuiltProducts.executable(name), environment: self.environment, output: logPath, errors: logPath)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func removeLog() { try? FileManager.default.removeItem(atPath: logPath) }

    func waitUntilReady() async throws {
        let port = port
        let ready = await eventually(within: .seconds(60)) {
            let client = try? HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1), timeout: .seconds(5)))
            let status = try? await client?.get("http://127.0.0.1:\(port)/ready").status
            await client?.close()
            return status == 200
        }
        guard ready else { throw NotReady("\(name) did not become ready: \(log)") }
    }

    /// `read-model-sync verify` with this process's databases and broker, waited for on a thread of its own.
    func verify() async throws -> ChildProcess.Termination {
        let (environment, logPath) = (environment, logPath)
        return try await onOwnThread {
            try ChildProcess(
                BuiltProducts.executable("read-model-sync"), ["verify"], environment: environment, output: logPath,
                errors: logPath
            ).wait()
        }
    }
}

/// Clients and keys made as an operator makes them, with the built `buyorders-admin`.
enum Admin {
    /// Creates client `name` and a key for it; the key (the last line of stdout).
    static func keyForNewClient(_ name: String, write: TestDatabase) throws -> String {
        try run(["client", "create", name], write: write)
        let output = try run(["key", "create", name, "--label", "scale-out test"], write: write)
        guard let token = output.split(separator: "\n").last.map(String.init), token.hasPrefix("bo_") else {
            throw NotReady("buyorders-admin key create printed no key")
        }
        return token
    }

    @discardableResult
    private static func run(_ arguments: [String], write: TestDatabase) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString.prefix(8)).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        try ChildProcess.run(
            BuiltProducts.executable("buyorders-admin"), arguments, environment: ["WRITE_DB_URL": write.url.absoluteString],
            output: output)
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }
}
