import Core
import Hummingbird
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct OperationalRoutesTests {
    func application(database: TestDatabase) async throws -> some ApplicationProtocol {
        let settings = FetchBuyOrdersSettings(server: HTTPServerSettings(port: 8778), readDatabase: database.settings(), access: .anonymousDefault)
        return try await buildFetchBuyOrders(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
    }

    @Test func servesHealthMetricsAndProblemBodies() async throws {
        try await OperationalRouteChecks.expectBasics(application(database: TestDatabase.create(nil)))
    }

    @Test func isReadyOnlyOnceMigrationsAreApplied() async throws {
        let database = try TestDatabase.create(nil)
        try await OperationalRouteChecks.expectReadinessFollowsMigrations(
            application(database: database), database: database, schema: .readModel, check: "read_db")
    }
}
