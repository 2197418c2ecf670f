import Core
import Foundation

/// The read model's SQL for the projection: upsert by order id, so a duplicate is harmless. Each row
/// records the transaction that projected it (its stream position, see migration 0011).
enum ReadModelStore {
    /// The statement inserting the orders not yet projected, or nil when there are none. Its one row
    /// holds `inserted`, how many were new (read it with `inserted(_:)`); when any were, it signals
    /// fetch-buy-orders, which pushes them to its streams once the transaction commits. `refresh`
    /// overwrites existing rows with the given (golden-source) values, for rebuilds.
    static func upsert(_ orders: [StoredBuyOrder], refresh: Bool = false) -> PostgresQuery? {
        guard !orders.isEmpty else { return nil }
        let conflict =
            refresh
            ? """
            DO UPDATE SET sequence = excluded.sequence, client_id = excluded.client_id, currency = excluded.currency,
                currency_amount = excluded.currency_amount, btc_rate = excluded.btc_rate, btc_amount = excluded.btc_amount,
                rate_source = excluded.rate_source, rate_quoted_at = excluded.rate_quoted_at, created_at = excluded.created_at,
                quote_id = excluded.quote_id
            """ : "DO NOTHING"
        return """
            WITH written AS (
                INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at, created_at, quote_id)
                SELECT id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at,
                    created_at, nullif(quote, '')::uuid
                FROM unnest(\(orders.map(\.id))::uuid[], \(orders.map(\.sequence))::bigint[], \(orders.map(\.clientID))::text[],
                    \(orders.map(\.currency.code))::text[], \(orders.map(\.currencyAmount.description))::numeric[],
                    \(orders.map(\.btcRate.description))::numeric[], \(orders.map(\.btcAmount.description))::numeric[],
                    \(orders.map(\.rateSource))::text[], \(orders.map(\.rateQuotedAt))::timestamptz[], \(orders.map(\.createdAt))::timestamptz[],
                    \(orders.map { $0.quoteID?.lowercaseText ?? "" })::text[])
                    AS i (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at, created_at, quote)
                ON CONFLICT (id) \(unsafeSQL: conflict)
                RETURNING 1
            )
            SELECT count(*) AS inserted, CASE WHEN count(*) > 0 THEN pg_notify(\(ReadModelSignal.ordersProjected), '') END
            FROM written
            """
    }

    /// How many orders the statement of `upsert` wrote.
    static func inserted(_ rows: PostgresRows) throws -> Int {
        guard let text = try rows.first?.text("inserted"), let count = Int(text) else {
            throw PostgresError(code: .other, message: "the order upsert returned no count")
        }
        return count
    }
}
