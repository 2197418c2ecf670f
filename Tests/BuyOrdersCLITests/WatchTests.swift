import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// `buyorders watch` as a long-running process: new orders as lines, a resume after the server side
/// drops the stream, and a clean end on SIGINT.
@Suite(.serialized) struct WatchTests {
    @Test func printsNewOrdersAndResumesAfterTheServerDropsTheStream() async throws {
        try await CLICluster.run { cluster in
            let key = try await cluster.client("cli-watch")
            let proxy = try TCPProxy(targetPort: cluster.fetchPort)
            defer { proxy.stop() }
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().lowercaseText)").path
            defer {
                try? FileManager.default.removeItem(atPath: base + ".out")
                try? FileManager.default.removeItem(atPath: base + ".err")
            }
            let watch = try ChildProcess(
                try BuiltProducts.executable("buyorders"), ["watch"],
                environment: cluster.environment(key: key, fetchPort: proxy.port), output: base + ".out",
                errors: base + ".err")
            let out = { (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "" }
            let err = { (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "" }
            try await expectEventually(within: .seconds(30)) { err().contains("watching your new orders") }

            let first = try await Self.order(cluster, key: key, currency: "EUR", amount: "12.34")
            try await expectEventually(within: .seconds(30)) { out().contains(first) }
            let line = try #require(out().split(separator: "\n").first { $0.contains(first) })
            #expect(line.contains("EUR") && line.contains("12.34"), "\(line)")

            // the server side drops the connection; an order made meanwhile still arrives, once
            proxy.dropAll()
            let second = try await Self.order(cluster, key: key, currency: "USD", amount: "56.78")
            try await expectEventually(within: .seconds(30)) { out().contains(second) }
            #expect(err().contains("reconnecting in 0.5 s from event "), "\(err())")
            #expect(err().contains("reconnected; resuming after event "), "\(err())")
            let third = try await Self.order(cluster, key: key, currency: "GBP", amount: "9.00")
            try await expectEventually(within: .seconds(30)) { out().contains(third) }
            let lines = out().split(separator: "\n")
            #expect(lines.count == 3, "\(out())")
            #expect(lines.filter { $0.contains(first) }.count == 1 && lines.filter { $0.contains(second) }.count == 1)

            watch.send(SIGINT)
            try await expectEventually(within: .seconds(10)) { watch.wait(within: .zero) != nil }
            #expect(watch.termination == .exited(0), "\(err())")
            #expect(err().contains("stopped; resume with --last-event-id "), "\(err())")
        }
    }

    /// Makes an order of the key's client; its id.
    static func order(_ cluster: CLICluster, key: String, currency: String, amount: String) async throws -> String {
        let body = #"{"currency":"\#(currency)","amount":"\#(amount)","idempotence_key":"\#(UUID().lowercaseText)"}"#
        let response = try await cluster.create.execute(
            uri: "/v1/buy_order", method: .put,
            headers: [.contentType: "application/json", .authorization: "Bearer \(key)"], body: ByteBuffer(string: body))
        let json = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        return try #require((json?["buy_order"] as? [String: Any])?["id"] as? String, "\(String(buffer: response.body))")
    }
}
