import Core
import Foundation
import Testing
import TestSupport

@Suite struct WriteModelSchemaTests {
    private func insertOrder(_ connection: PostgresConnection, btc: String, amount: String = "100.00") throws {
        try connection.query(
            """
            INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
            VALUES (gen_random_uuid(), 'default', 'USD', \(amount)::numeric, 48478.88, \(btc)::numeric, 'coinbase', now())
            """)
    }

    private func code(_ body: () throws -> Void) -> PostgresError.Code? {
        do {
            try body()
            return nil
        } catch {
            return (error as? PostgresError)?.code
        }
    }

    @Test func seedsTheDefaultClientAndTheLimit() throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        #expect(try connection.query("SELECT id FROM client").first?["id"] == "default")
        let total = try #require(try connection.query("SELECT total, limit_btc FROM btc_total").first)
        #expect(total["total"] == "0.00000000")
        #expect(total["limit_btc"] == "100.00000000")
    }

    @Test func refusesToUpdateDeleteOrTruncateOrders() throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        try insertOrder(connection, btc: "0.1")
        #expect(code { try connection.query("UPDATE buy_order SET currency = 'EUR'") } == .restrictViolation)
        #expect(code { try connection.query("DELETE FROM buy_order") } == .restrictViolation)
        #expect(code { try connection.query("TRUNCATE buy_order CASCADE") } == .restrictViolation)
        #expect(try connection.query("SELECT count(*) AS n FROM buy_order WHERE currency = 'USD'").first?["n"] == "1")
    }

    @Test func addsEveryOrderToTheTotal() throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        try insertOrder(connection, btc: "0.00254647")
        try insertOrder(connection, btc: "1.5")
        let row = try #require(
            try connection.query("SELECT total, (SELECT sum(btc_amount) FROM buy_order) AS sum FROM btc_total").first)
        #expect(row["total"] == "1.50254647")
        #expect(row["total"] == row["sum"])
    }

    @Test func refusesAnOrderThatWouldCrossTheLimitAndStoresNothingOfIt() throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        try connection.query("UPDATE btc_total SET limit_btc = 1")
        try insertOrder(connection, btc: "0.6")
        #expect(code { try connection.transaction { try insertOrder($0, btc: "0.40000001") } } == .checkViolation)
        try insertOrder(connection, btc: "0.4")
        let row = try #require(try connection.query("SELECT total, (SELECT count(*) FROM buy_order) AS n FROM btc_total").first)
        #expect(row["total"] == "1.00000000")
        #expect(row["n"] == "2")
    }

    @Test(arguments: ["0", "-1.00"])
    func refusesAnAmountOutsideTheBusinessRange(amount: String) throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        #expect(code { try insertOrder(connection, btc: "0.1", amount: amount) } == .checkViolation)
    }

    @Test func refusesAnAmountOfABillionOrMore() throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        #expect(code { try insertOrder(connection, btc: "0.1", amount: "1000000000.00") } == .numericValueOutOfRange)
    }

    @Test func refusesAZeroBTCAmount() throws {
        let connection = try TestDatabase.create(.writeModel).connect()
        #expect(code { try insertOrder(connection, btc: "0") } == .checkViolation)
    }
}
