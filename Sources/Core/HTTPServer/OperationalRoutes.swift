import Foundation
import Hummingbird
import Prometheus

/// One dependency `/ready` checks; `check` throws `NotReady` (or any error) when it is not usable,
/// with a reason, or `Degraded` when it works but needs an operator's attention.
public struct ReadinessCheck: Sendable {
    public let name: String
    public let check: @Sendable () async throws -> Void

    public init(_ name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}

/// Why a dependency is not ready, in words an operator can act on.
public struct NotReady: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension RouterMethods {
    /// Adds `GET /health` (liveness), `GET /ready` (each dependency) and `GET /metrics` (Prometheus text).
    public func addOperationalRoutes(checks: [ReadinessCheck], metrics: PrometheusCollectorRegistry) {
        get("/health") { _, _ in
            Response.json(#"{"status":"healthy"}"#)
        }
        get("/ready") { _, _ in
            let report = await ReadinessReport.run(checks)
            return Response.json(report.json, status: report.isReady ? .ok : .serviceUnavailable)
        }
        get("/metrics") { _, _ in
            var text: [UInt8] = []
            metrics.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}

/// A dependency that works but needs attention: `/ready` shows it as `degraded` with this detail and
/// stays 200.
public struct Degraded: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The result of running every readiness check at once, each bounded in time.
struct ReadinessReport: Encodable {
    struct Check: Encodable {
        let name: String
        let status: String
        let detail: String?
    }

    let status: String
    let checks: [Check]

    var isReady: Bool { status == "ready" }

    static func run(_ checks: [ReadinessCheck], timeout: Duration = .seconds(2)) async -> ReadinessReport {
        let results = await withTaskGroup(of: (Int, Check).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    do {
                        try await withTimeout(timeout) { try await check.check() }
                        return (index, Check(name: check.name, status: "up", detail: nil))
                    } catch let degraded as Degraded {
                        return (index, Check(name: check.name, status: "degraded", detail: degraded.description))
                    } catch {
                        return (index, Check(name: check.name, status: "down", detail: "\(error)"))
                    }
                }
            }
            var results: [(Int, Check)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return ReadinessReport(status: results.allSatisfy { $0.status != "down" } ? "ready" : "not_ready", checks: results)
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

/// Runs `body`, failing with `NotReady` when it takes longer than `timeout`.
func withTimeout(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw NotReady("no answer within \(timeout)")
        }
        try await group.next()
        group.cancelAll()
    }
}

extension Response {
    /// A JSON response from text the caller built.
    public static func json(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
