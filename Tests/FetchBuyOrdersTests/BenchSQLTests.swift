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
