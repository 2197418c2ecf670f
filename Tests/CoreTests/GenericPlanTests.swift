import Core
import Foundation
import Testing
import TestSupport

@Suite struct GenericPlanTests {
    @Test(arguments: ["", "?options=-c%20statement_timeout%3D1234", "?sslmode=disable"])
    func servicesSessionsUseGenericPlansBesideTheTimeoutsAndTheURLsOwnOptionsWin(query: String) throws {
        let database = try TestDatabase.create(nil)
        let url = try #require(URL(string: database.url.absoluteString + query))
        let connection = try PostgresConnection(settings: DatabaseSettings(url: url))
        #expect(try connection.query("SHOW plan_cache_mode").first?["plan_cache_mode"] == "force_generic_plan")
        let statementTimeout = query.contains("statement_timeout") ? "1234ms" : "5s"
        #expect(try connection.query("SHOW statement_timeout").first?["statement_timeout"] == statementTimeout)
        #expect(try connection.query("SHOW lock_timeout").first?["lock_timeout"] == "2s")
    }
}
