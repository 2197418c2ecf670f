import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import TestSupport

/// Clients ordering as the API intends behind a load balancer: each request goes to the next instance
/// in turn, and a request that fails (no answer, a 5xx, a 429) is sent again with the same idempotency
/// key to the next instance, until it is answered 200 (bounded in attempts).
final class OrderLoad: Sendable {
    struct Answer: Sendable {
        let client: String
        let key: String
        let orderID: String
    }

    let ports: [Int]
    private let answers = Mutex<[Answer]>([])
    private let surprises = Mutex<[String]>([])
    private let retries = Atomic(0)
    private let replays = Atomic(0)
    private let abandoned = Atomic(0)
    private let stopped = Atomic(false)
    static let attemptsPerOrder = 100
    static let longestRun = Duration.seconds(240)

    init(ports: [Int]) {
        self.ports = ports
    }

    var answered: [Answer] { answers.withLock { $0 } }
    var answeredCount: Int { answers.withLock { $0.count } }
    /// Answers that are neither 200 nor worth a retry (a 4xx): there should be none.
    var unexpected: [String] { surprises.withLock { $0 } }
    var retried: Int { retries.load(ordering: .relaxed) }
    /// Answers with `Idempotent-Replayed: true`: a retry found the order its lost first answer had made.
    var replayed: Int { replays.load(ordering: .relaxed) }
    /// Orders still unanswered after `attemptsPerOrder` attempts.
    var gaveUp: Int { abandoned.load(ordering: .relaxed) }

    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Orders one after another for `client`, with its key `token`, until stopped or `limit` orders
    /// were answered.
    func run(client: String, token: String, startingAt first: Int, limit: Int) async {
        // However the servers misbehave, a run ends: an order still retried past this is abandoned.
        let deadline = ContinuousClock.now + Self.longestRun
        var next = first
        for _ in 0..<limit where !stopped.load(ordering: .relaxed) && ContinuousClock.now < deadline {
            let key = UUID().uuidString.lowercased()
            var done = false
            for _ in 0..<Self.attemptsPerOrder where !done && ContinuousClock.now < deadline {
                let port = ports[next % ports.count]
                next += 1
                switch await put(port: port, token: token, key: key) {
                case .answered(let orderID):
                    answers.withLock { $0.append(Answer(client: client, key: key, orderID: orderID)) }
                    done = true
                case .refused(let status, let body):
                    surprises.withLock { $0.append("\(status): \(body)") }
                    done = true
                case .retry:
                    retries.add(1, ordering: .relaxed)
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            if !done { abandoned.add(1, ordering: .relaxed) }
            // Paced, so that the tests running beside it keep their share of the two cores.
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private enum Outcome {
        case answered(orderID: String)
        case refused(status: Int, body: String)
        case retry
    }

    private static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    private func put(port: Int, token: String, key: String) async -> Outcome {
        let body = #"{"currency":"USD","amount":"10.00","idempotence_key":"\#(key)"}"#
        do {
            let response = try await TestClient.withClient(
                host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(5))
            ) { client in
                try await client.execute(
                    TestClient.Request(
                        "/buy_order", method: .put, authority: "127.0.0.1",
                        headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                        body: ByteBuffer(string: body)))
            }
            let text = response.body.map { String(buffer: $0) } ?? ""
            switch response.status.code {
            case 200:
                let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                guard let order = json?["buy_order"] as? [String: Any], let id = order["id"] as? String else {
                    return .refused(status: 200, body: text)
                }
                if response.headers[Self.replayedHeader] == "true" { replays.add(1, ordering: .relaxed) }
                return .answered(orderID: id)
            case 429, 500...599:
                return .retry
            default:
                return .refused(status: Int(response.status.code), body: text)
            }
        } catch {
            // Refused, reset or timed out: the instance is gone or going.
            return .retry
        }
    }

}
