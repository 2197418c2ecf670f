import Core
import Foundation
import Testing
import TestSupport

@testable import FetchBuyOrders

@Suite struct PagePlanTests {
    /// Every combination of reference and filters.
    static let requests: [PageRequest] = [false, true].flatMap { reference in
        [nil, Currency.eur].flatMap { currency in
            [nil, "2026-01-01T00:00:00Z"].flatMap { from in
                [nil, "2026-06-01T00:00:00Z"].map { to in
                    PageRequest(
                        pageSize: 10, lastReference: reference ? UUID() : nil, currency: currency,
                        from: from.flatMap { RFC3339Timestamp(parsing: $0[...]) },
                        to: to.flatMap { RFC3339Timestamp(parsing: $0[...]) })
                }
            }
        }
    }

    /// The generic plan of every page statement walks an index in page order: no sort, no scan of the table.
    @Test(arguments: requests)
    func pageQuerySeeksAnIndexInPageOrder(request: PageRequest) throws {
        let database = try TestDatabase.create(.readModel)
        try OrderFixtures(database: database).insert(count: 50, perTimestamp: 2)
        let connection = try database.connect()
        try connection.execute(
            script: "ANALYZE buy_order; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; SET enable_sort = off")
        let query = PageQuery(request: request, client: "default")
        try connection.query(PostgresQuery(unsafeSQL: "PREPARE page AS \(query.page.sql)"))
        let arguments = query.page.binds.map { "'\($0 ?? "")'" }.joined(separator: ", ")
        let plan = try connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE page(\(arguments))"))
            .map { $0["QUERY PLAN"] ?? "" }.joined(separator: "\n")
        let index = request.currency == nil ? "buy_order_page" : "buy_order_currency_page"
        #expect(plan.contains("Index Scan using \(index) on buy_order o"), "\(plan)")
        #expect(!plan.contains("Sort"), "\(plan)")
        #expect(!plan.contains("Seq Scan"), "\(plan)")
    }
}
