import Core
import Foundation
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct BenchSQLTests {
    /// bench/fetch_page_at_depth.sql explains the statement the service prepares, not a lookalike.
    @Test func benchExplainsTheServicesPageQuery() throws {
        let file = TestServers.repositoryRoot.appendingPathComponent("bench/fetch_page_at_depth.sql")
        let text = try String(contentsOf: file, encoding: .utf8)
        let start = try #require(text.range(of: "PREPARE page_after_reference AS"))
        let end = try #require(text.range(of: ";", range: start.upperBound..<text.endIndex))
        let query = PageQuery(request: PageRequest(lastReference: UUID()), client: "default")
        #expect(Self.words(text[start.upperBound..<end.lowerBound]) == Self.words(query.page.sql))
    }

    private static func words(_ sql: some StringProtocol) -> [Substring] {
        sql.split(whereSeparator: \.isWhitespace).map { Substring($0) }
    }
}

@Suite struct GenericPlanTests {
    @Test(arguments: ["", "?options=-c%20statement_timeout%3D1234", "?sslmode=disable"])
    func sessionsUseGenericPlansBesideTheTimeoutsAndTheURLsOwnOptionsWin(query: String) throws {
        let database = try TestDatabase.create(nil)
        let url = try #require(URL(string: database.url.absoluteString + query))
        let connection = try PostgresConnection(settings: DatabaseSettings(url: url).forcingGenericPlans())
        #expect(try connection.query("SHOW plan_cache_mode").first?["plan_cache_mode"] == "force_generic_plan")
        let statementTimeout = query.contains("statement_timeout") ? "1234ms" : "5s"
        #expect(try connection.query("SHOW statement_timeout").first?["statement_timeout"] == statementTimeout)
        #expect(try connection.query("SHOW lock_timeout").first?["lock_timeout"] == "2s")
    }
}
