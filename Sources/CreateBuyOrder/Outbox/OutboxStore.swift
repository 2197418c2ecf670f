import Core
import Foundation

/// The relay's SQL on the write model: claim unsent rows, delete the confirmed ones, set aside the
/// ones that cannot be rendered, and measure what is waiting.
enum OutboxStore {
    /// Claims up to `limit` unsent rows, oldest first, skipping rows another relay holds; inside a
    /// transaction. Each comes with the order it references (all NULL when the order is missing):
    /// read them with `OutboxRow(row:exchange:)`.
    static func claim(limit: Int) -> PostgresQuery {
        """
        SELECT ob.sequence AS outbox_sequence, ob.event_id::text AS event_id, ob.routing_key,
            ob.payload::text AS payload, ob.buy_order_id::text AS buy_order_id, \(unsafeSQL: StoredBuyOrder.columns)
        FROM outbox ob LEFT JOIN buy_order o ON o.id = ob.buy_order_id
        ORDER BY ob.sequence LIMIT \(limit) FOR UPDATE OF ob SKIP LOCKED
        """
    }

    /// Deletes the rows the broker confirmed; nil when there are none.
    static func delete(_ sequences: [Int64]) -> PostgresQuery? {
        guard !sequences.isEmpty else { return nil }
        return "DELETE FROM outbox WHERE sequence = ANY(\(sequences)::bigint[])"
    }

    /// Moves rows to `outbox_parked` with their reasons; nil when there are none.
    static func park(_ rows: [(sequence: Int64, reason: String)]) -> PostgresQuery? {
        guard !rows.isEmpty else { return nil }
        return """
            WITH moved AS (
                DELETE FROM outbox o USING unnest(\(rows.map(\.sequence))::bigint[], \(rows.map(\.reason))::text[]) AS p(sequence, reason)
                WHERE o.sequence = p.sequence
                RETURNING o.sequence, o.event_id, o.client_id, o.routing_key, o.payload, o.buy_order_id, o.created_at, p.reason)
            INSERT INTO outbox_parked (sequence, event_id, client_id, routing_key, payload, buy_order_id, created_at, reason)
            SELECT sequence, event_id, client_id, routing_key, payload, buy_order_id, created_at, reason FROM moved
            """
    }

    struct Backlog {
        var unsent: Int64
        var oldestAgeSeconds: Int64
        var parked: Int64
    }

    static func backlog(on database: PostgresConnection) throws -> Backlog {
        let row = try database.query(
            prepared: """
                SELECT count(*) AS backlog, coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint AS oldest,
                       (SELECT count(*) FROM outbox_parked) AS parked
                FROM outbox
                """
        ).first
        return Backlog(
            unsent: Int64(row?["backlog"] ?? "0") ?? 0, oldestAgeSeconds: Int64(row?["oldest"] ?? "0") ?? 0,
            parked: Int64(row?["parked"] ?? "0") ?? 0)
    }
}
