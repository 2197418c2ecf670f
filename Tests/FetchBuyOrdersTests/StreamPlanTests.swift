import Core
import Foundation
import Testing
import TestSupport

@testable import FetchBuyOrders

/// The generic plans of the activity's and the stream's statements seek an index in the order they
/// return rows: no sort, no scan of a table, so a page or a read costs the same at any depth.
@Suite struct ActivityAndStreamPlanTests {
    static func plan(_ query: PostgresQuery, on connection: PostgresConnection) throws -> String {
        try connection.query(PostgresQuery(unsafeSQL: "PREPARE planned AS \(query.sql)"))
        defer { _ = try? connection.query("DEALLOCATE planned") }
        let arguments = query.binds.map { "'\($0 ?? "")'" }.joined(separator: ", ")
        return try connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE planned(\(arguments))"))
            .map { $0["QUERY PLAN"] ?? "" }.joined(separator: "\n")
    }

    static func connection(_ database: TestDatabase) throws -> PostgresConnection {
        let connection = try database.connect()
        try connection.execute(
            script: """
                ANALYZE; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; SET enable_sort = off;
                SET enable_bitmapscan = off
                """)
        return connection
    }

    static let activityRequests: [ActivityRequest] = [false, true].flatMap { reference in
        [[], ["buy_order.created"], ["api_key.created", "buy_order.created", "client.created"]].flatMap { types in
            [nil, "2026-01-01T00:00:00Z"].flatMap { from in
                [nil, "2026-06-01T00:00:00Z"].map { to in
                    ActivityRequest(
                        pageSize: 10, lastReference: reference ? UUID() : nil, types: types,
                        from: from.flatMap { RFC3339Timestamp(parsing: $0[...]) }, to: to.flatMap { RFC3339Timestamp(parsing: $0[...]) })
                }
            }
        }
    }

    @Test(arguments: activityRequests)
    func anActivityPageSeeksItsIndexInPageOrder(request: ActivityRequest) throws {
        let database = try TestDatabase.create(.readModel)
        try ActivityFixtures(database: database).insert(count: 60)
        let plan = try Self.plan(ActivityQuery(request: request, client: "default").page, on: Self.connection(database))
        let index = request.types.isEmpty ? "activity_page" : "activity_type_page"
        #expect(plan.contains("Index Scan using \(index) on activity a"), "\(plan)")
        if request.types.count > 1 { #expect(plan.contains("Merge Append"), "\(plan)") }
        #expect(!plan.contains("Sort  ("), "\(plan)")  // a Sort node (a Merge Append has a "Sort Key")
        #expect(!plan.contains("Seq Scan"), "\(plan)")
    }

    @Test func theFanOutReadSeeksThePositionIndex() throws {
        let database = try TestDatabase.create(.readModel)
        try OrderFixtures(database: database).insert(count: 60)
        let plan = try Self.plan(StreamFeed.readQuery(after: StreamPosition(xid: 5, sequence: 1), limit: 1000), on: Self.connection(database))
        #expect(plan.contains("Index Scan using buy_order_stream on buy_order o"), "\(plan)")
        #expect(!plan.contains("Sort  (") && !plan.contains("Seq Scan"), "\(plan)")
    }

    /// With the planner's own choices (no scan disabled, and no statistics yet, as on a read model that
    /// grows faster than autovacuum analyzes it): whether orders wait for an older transaction is one
    /// index seek, not a scan of every order, each time the fan-out reads (it once cost 14 ms at 49,000
    /// orders, 100 times a second under load).
    @Test func theFanOutReadScansNoTableWhenNothingIsPending() throws {
        let database = try TestDatabase.create(.readModel)
        try OrderFixtures(database: database).insert(count: 20_000)
        let connection = try database.connect()
        try connection.execute(script: "SET plan_cache_mode = force_generic_plan")
        // The fan-out has read every order: nothing after its position, nothing pending.
        let latest = try connection.query(
            "SELECT projected_xid::text AS x, projected_sequence::text AS s FROM buy_order ORDER BY 1 DESC, 2 DESC LIMIT 1")
        let row = try #require(latest.first)
        let position = StreamPosition(xid: UInt64(try row.text("x"))!, sequence: Int64(try row.text("s"))!)
        let plan = try Self.plan(StreamFeed.readQuery(after: position, limit: 1000), on: connection)
        #expect(!plan.contains("Seq Scan"), "\(plan)")
    }

    @Test(arguments: [nil, Currency.eur])
    func aResumingStreamSeeksItsClientsPositions(currency: Currency?) throws {
        let database = try TestDatabase.create(.readModel)
        try OrderFixtures(database: database).insert(count: 60)
        let query = StreamFeed.catchUpQuery(
            client: "default", currency: currency, after: StreamPosition(xid: 5, sequence: 1),
            through: StreamPosition(xid: 900, sequence: 0), limit: 1000)
        let plan = try Self.plan(query, on: Self.connection(database))
        #expect(plan.contains("buy_order_client_stream on buy_order o"), "\(plan)")
        #expect(!plan.contains("Sort  (") && !plan.contains("Seq Scan"), "\(plan)")
    }
}
