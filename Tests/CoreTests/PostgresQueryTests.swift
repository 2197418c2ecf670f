import Core
import Foundation
import Testing

@Suite struct PostgresQueryTests {
    @Test func interpolatedValuesBecomeNumberedBinds() {
        let query: PostgresQuery = "SELECT 1 FROM t WHERE a = \("x") AND b = \(2) AND c = \(nil as String?)"
        #expect(query.sql == "SELECT 1 FROM t WHERE a = $1 AND b = $2 AND c = $3")
        #expect(query.binds == ["x", "2", nil])
    }

    @Test func aQueryInterpolatedIntoAnotherHasItsBindsRenumbered() {
        let condition: PostgresQuery = "b = \("inner") AND c < \(3)"
        let query: PostgresQuery = "SELECT 1 FROM t WHERE a = \("outer") AND \(condition) LIMIT \(10)"
        #expect(query.sql == "SELECT 1 FROM t WHERE a = $1 AND b = $2 AND c < $3 LIMIT $4")
        #expect(query.binds == ["outer", "inner", "3", "10"])
    }

    @Test func joinedQueriesNumberTheirBindsInOrder() {
        let conditions: [PostgresQuery] = ["a = \("1")", "true", "b = \("2")"]
        let query: PostgresQuery = "WHERE \(conditions.joined(separator: " AND ")) AND c = \("3")"
        #expect(query.sql == "WHERE a = $1 AND true AND b = $2 AND c = $3")
        #expect(query.binds == ["1", "2", "3"])
        #expect([PostgresQuery]().joined(separator: ", ").sql.isEmpty)
    }

    @Test func unsafeSQLIsSplicedAsItIsAndBindsNothing() {
        let query: PostgresQuery = "SELECT \(unsafeSQL: "o.id, o.sequence") FROM \(unsafeSQL: "buy_order o") WHERE o.id = \("x")"
        #expect(query.sql == "SELECT o.id, o.sequence FROM buy_order o WHERE o.id = $1")
        #expect(query.binds == ["x"])
    }

    /// A dollar sign inside a fragment's own text is not a bind: only interpolated values are renumbered.
    @Test func aFragmentsOwnDollarSignsAreLeftAlone() {
        let fragment = PostgresQuery(unsafeSQL: "body = '$1 price'")
        let query: PostgresQuery = "SELECT \(1) WHERE \(fragment) AND id = \("x")"
        #expect(query.sql == "SELECT $1 WHERE body = '$1 price' AND id = $2")
        #expect(query.binds == ["1", "x"])
    }

    @Test func arraysBindAsOneEscapedLiteral() {
        let query: PostgresQuery = "SELECT unnest(\(["a", "b\"c", "d\\e"])::text[])"
        #expect(query.binds == [#"{"a","b\"c","d\\e"}"#])
    }
}
