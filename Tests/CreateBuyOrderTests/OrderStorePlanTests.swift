import Core
import Foundation
import Testing
import TestSupport

@testable import CreateBuyOrder

@Suite struct OrderStorePlanTests {
    /// Planned on an empty write model, as a fresh deployment's first batches are, the generic plan of the
    /// key lookup must still probe the primary key: that plan is cached for the connection's lifetime.
    @Test func keyLookupProbesThePrimaryKeyEvenWhenPlannedOnEmptyTables() throws {
        let database = try TestDatabase.create(.writeModel)
        let connection = try database.connect()
        try connection.execute(script: "SET plan_cache_mode = force_generic_plan")
        let requests = try (0..<3).map { _ in
            OrderRequest(clientID: "default", idempotencyKey: UUID(), currency: .usd, amount: try FiatAmount(parsing: "1.00"))
        }
        let query = OrderStore().existingOrdersQuery(for: requests)
        try connection.query(PostgresQuery(unsafeSQL: "PREPARE lookup AS \(query.sql)"))
        let arguments = query.binds.map { "'\($0 ?? "")'" }.joined(separator: ", ")
        let plan = try connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE lookup(\(arguments))"))
            .map { $0["QUERY PLAN"] ?? "" }.joined(separator: "\n")
        #expect(plan.contains("Index Scan using idempotency_key_pkey on idempotency_key k"), "\(plan)")
        #expect(!plan.contains("Seq Scan on idempotency_key"), "\(plan)")
    }
}
