import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import CreateBuyOrder

@Suite struct OperationalRoutesTests {
    func application(database: TestDatabase) async throws -> some ApplicationProtocol {
        let settings = CreateBuyOrderSettings(
            server: HTTPServerSettings(port: 8777), writeDatabase: database.settings(),
            btcPriceURL: URL(string: "http://127.0.0.1:9")!)
        return try await buildCreateBuyOrder(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
    }

    @Test func answersHealthWithoutDependencies() async throws {
        let app = try await application(database: TestDatabase.create(nil))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"healthy"}"#)
            }
        }
    }

    @Test func isReadyOnlyOnceMigrationsAreApplied() async throws {
        let database = try TestDatabase.create(nil)
        let app = try await application(database: database)
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("migrations not applied"))
            }
            try database.migrate(.writeModel)
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"{"name":"write_db","status":"up"}"#))
            }
        }
    }

    @Test func servesPrometheusMetrics() async throws {
        let app = try await application(database: TestDatabase.create(.writeModel))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
        }
    }

    @Test func answersUnknownRoutesWithAProblemBody() async throws {
        let app = try await application(database: TestDatabase.create(nil))
        try await app.test(.router) { client in
            try await client.execute(uri: "/no-such-route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
