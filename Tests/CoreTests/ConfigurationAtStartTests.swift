import Core
import Foundation
import Testing
import TestSupport

/// A password the tests put in URLs, to look for in everything the services print and answer.
private let password = "Pw-start-4d1a"

/// Every service binary, started for real as a child process with a setting it cannot use: it stops at
/// once with one line on stderr naming the variable, exit 2, and never prints a password.
@Suite struct ConfigurationAtStartTests {
    static let services = ["create-buy-order", "fetch-buy-orders", "btc-price", "read-model-sync"]

    /// The simulated price source keeps btc-price off the internet.
    static let quiet = ["PRICE_SOURCE": "simulated", "LOG_LEVEL": "info"]

    @Test(arguments: [
        ("create-buy-order", "WRITE_DB_URL", "mysql://buyer:\(password)@db/write_model"),
        ("create-buy-order", "AMQP_URL", "amqp://guest:\(password)@127.0.0.1:5672/one/two"),
        ("create-buy-order", "BTC_PRICE_URL", "ftp://user:\(password)@127.0.0.1:8779"),
        ("fetch-buy-orders", "READ_DB_URL", "postgresql://reader:\(password)@/read_model"),
        ("read-model-sync", "READ_DB_URL", "postgresql://reader:pa@\(password)@:5432/read_model"),
        ("read-model-sync", "AMQP_URL", "amqp://guest:\(password)@:5672/%2f"),
        ("btc-price", "PRICE_SOURCE_URL", "ftp://user:\(password)@prices.example/v2"),
    ])
    func reportsAMalformedURLWithoutItsPassword(service: String, variable: String, value: String) async throws {
        let run = try await CommandOutput.product(
            service, environment: Self.quiet.merging([variable: value, "PORT": "\(try PrivateServer.freePort())"]) { $1 },
            within: .seconds(30))
        #expect(run.termination == .exited(2), "\(run)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("\(service): configuration error: \(variable) must be"), "\(run)")
        #expect(run.stderr.contains(":***@"), "\(run)")
        #expect(!(run.stdout + run.stderr).contains(password), "\(run)")
    }

    @Test(arguments: [
        ("QUOTE_TTL_S", "0"), ("QUOTE_TTL_S", "30s"), ("QUOTE_TTL_S", "3601"),
        ("IDEMPOTENCY_KEY_RETENTION_H", "0"), ("IDEMPOTENCY_KEY_RETENTION_H", "-1"), ("IDEMPOTENCY_KEY_RETENTION_H", "7d"),
    ])
    func createBuyOrderNamesAQuoteLifetimeOrKeyRetentionItCannotUse(variable: String, value: String) async throws {
        let run = try await CommandOutput.product(
            "create-buy-order", environment: Self.quiet.merging([variable: value, "PORT": "\(try PrivateServer.freePort())"]) { $1 },
            within: .seconds(30))
        #expect(run.termination == .exited(2), "\(run)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("create-buy-order: configuration error: \(variable) must be"), "\(run)")
    }

    @Test(arguments: services)
    func namesAPortInUseAndExitsTwo(service: String) async throws {
        let held = try HeldPort()
        let run = try await CommandOutput.product(
            service, environment: Self.quiet.merging(["HOST": "127.0.0.1", "PORT": "\(held.port)"]) { $1 },
            within: .seconds(60))
        #expect(run.termination == .exited(2), "\(run)")
        #expect(
            run.stderr == "\(service): PORT \(held.port) is in use on HOST 127.0.0.1: stop what listens there, or set PORT to another port\n",
            "\(run)")
    }

    /// 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it.
    @Test(arguments: services)
    func namesAHostThisMachineCannotListenOnAndExitsTwo(service: String) async throws {
        let port = try PrivateServer.freePort()
        let missing = try await CommandOutput.product(
            service, environment: Self.quiet.merging(["HOST": "192.0.2.1", "PORT": "\(port)"]) { $1 }, within: .seconds(60))
        #expect(missing.termination == .exited(2), "\(missing)")
        #expect(
            missing.stderr == "\(service): HOST 192.0.2.1 cannot be listened on: no interface of this machine has that address\n",
            "\(missing)")

        let unresolvable = try await CommandOutput.product(
            service, environment: Self.quiet.merging(["HOST": "no-such-host.invalid", "PORT": "\(port)"]) { $1 },
            within: .seconds(60))
        #expect(unresolvable.termination == .exited(2), "\(unresolvable)")
        #expect(unresolvable.stderr.hasPrefix("\(service): HOST no-such-host.invalid cannot be listened on: the name does not resolve"))
        #expect(unresolvable.stderr.split(separator: "\n").count == 1, "\(unresolvable)")

        let malformed = try await CommandOutput.product(
            service, environment: Self.quiet.merging(["HOST": "300.1.1.1", "PORT": "\(port)"]) { $1 }, within: .seconds(30))
        #expect(malformed.termination == .exited(2), "\(malformed)")
        #expect(
            malformed.stderr
                == "\(service): configuration error: HOST must be an IPv4 or IPv6 address or a host name to listen on, got \"300.1.1.1\"\n")
    }

    /// Each service runs with password-bearing URLs: databases that take them (the test server trusts
    /// every password) or refuse connections, a broker that refuses the password, a price source that
    /// is down. Its logs, `/ready` and `/metrics` never show the password.
    @Test(arguments: services)
    func neverPrintsAPasswordWhileRunning(service: String) async throws {
        let closedPort = try PrivateServer.freePort()
        let port = try PrivateServer.freePort()
        let environment = [
            "WRITE_DB_URL": try TestServers.writeDatabaseURL().withPassword(password).absoluteString,
            "READ_DB_URL": try TestServers.readDatabaseURL().withPassword(password).replacingPort(with: closedPort)
                .absoluteString,
            "AMQP_URL": try TestServers.amqpURL().withPassword(password).absoluteString,
            "BTC_PRICE_URL": "http://user:\(password)@127.0.0.1:\(closedPort)",
            "PRICE_SOURCE": "coinbase", "PRICE_SOURCE_URL": "http://user:\(password)@127.0.0.1:\(closedPort)/v2/prices",
            "HOST": "127.0.0.1", "PORT": "\(port)", "LOG_LEVEL": "debug",
        ]
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(service)-\(UUID().uuidString.prefix(8)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try ChildProcess(try BuiltProducts.executable(service), environment: environment, output: log, errors: log)
        var answers: [String] = []
        try await expectEventually(within: .seconds(30)) {
            let ready = try await Self.get("http://127.0.0.1:\(port)/ready")
            guard ready.termination == .exited(0) else { return false }
            answers = [ready.stdout, try await Self.get("http://127.0.0.1:\(port)/metrics").stdout]
            return true
        }
        // A few seconds of retries against what refuses it.
        try await Task.sleep(for: .seconds(3))
        process.send(SIGTERM)
        #expect(process.wait(within: .seconds(20)) != nil, "\(service) did not stop on SIGTERM")
        let printed = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!printed.isEmpty)
        #expect(!printed.contains(password), "\(printed)")
        for answer in answers {
            #expect(!answer.isEmpty && !answer.contains(password), "\(answer)")
        }
    }

    static func get(_ url: String) async throws -> CommandOutput {
        try await onOwnThread { try CommandOutput.run("/usr/bin/curl", ["-sS", "--max-time", "5", url], within: .seconds(10)) }
    }
}

/// A TCP port on 127.0.0.1 that the test listens on for as long as it keeps this value.
final class HeldPort {
    let port: Int
    private let socket: Int32

    init() throws {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && listen(socket, 16) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard listening else {
            close(socket)
            throw ListenFailed(errno: errno)
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socket) }

    struct ListenFailed: Error {
        let errno: Int32
    }
}

extension URL {
    fileprivate func withPassword(_ password: String) -> URL {
        var components = URLComponents(url: self, resolvingAgainstBaseURL: false)!
        if components.user == nil { components.user = "postgres" }
        components.password = password
        return components.url!
    }

    fileprivate func replacingPort(with port: Int) -> URL {
        var components = URLComponents(url: self, resolvingAgainstBaseURL: false)!
        components.port = port
        return components.url!
    }
}
