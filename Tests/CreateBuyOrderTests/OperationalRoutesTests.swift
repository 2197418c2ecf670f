import Core
import Foundation
import Hummingbird
import Prometheus
import Testing
import TestSupport

@testable import CreateBuyOrder

@Suite struct OperationalRoutesTests {
    func application(database: TestDatabase) async throws -> some ApplicationProtocol {
        let settings = CreateBuyOrderSettings(
            server: HTTPServerSettings(port: 8777), writeDatabase: database.settings(),
            btcPriceURL: URL(string: "http://127.0.0.1:9")!, access: .anonymousDefault)
        return try await buildCreateBuyOrder(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
    }

    @Test func servesHealthMetricsAndProblemBodies() async throws {
        try await OperationalRouteChecks.expectBasics(application(database: TestDatabase.create(nil)))
    }

    @Test func reportsTheDatabaseUpOnlyOnceMigrationsAreApplied() async throws {
        let database = try TestDatabase.create(nil)
        try await OperationalRouteChecks.expectReadinessFollowsMigrations(
            application(database: database), database: database, schema: .writeModel, check: "write_db")
    }
}
