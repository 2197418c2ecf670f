import Hummingbird
import HummingbirdTesting
import Testing

/// The checks every service's `/health`, `/ready`, `/metrics` and unknown routes must pass.
public enum OperationalRouteChecks {
    /// `/health` answers without dependencies, `/metrics` is Prometheus text, an unknown route a problem body.
    public static func expectBasics(_ app: some ApplicationProtocol) async throws {
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"healthy"}"#)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                // The /health request above, counted and timed by route, method and status.
                let text = String(buffer: response.body)
                let health = text.split(separator: "\n").filter { $0.contains(#"route="/health""#) }
                #expect(health.contains { $0.hasPrefix("http_requests_total{") && $0.contains(#"status="200""#) && $0.hasSuffix(" 1") })
                #expect(health.contains { $0.hasPrefix("http_request_duration_seconds_count{") })
            }
            try await client.execute(uri: "/no-such-route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    /// `/ready` names missing migrations until `database` is migrated, then reports `check` up.
    public static func expectReadinessFollowsMigrations(
        _ app: some ApplicationProtocol, database: TestDatabase, schema: TestDatabase.Schema, check: String
    ) async throws {
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("migrations not applied"))
            }
            try database.migrate(schema)
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"{"name":"\#(check)","status":"up"}"#))
            }
        }
    }
}
