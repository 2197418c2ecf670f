import Core
import Foundation

/// The read model's SQL for the projection: upsert by order id, so a duplicate is harmless. Each row
/// records the transaction that projected it (its stream position, see migration 0011).
enum ReadModelStore {
    /// Inserts the orders not yet projected; returns how many were new. `refresh` overwrites
    /// existing rows with the given (golden-source) values, for rebuilds.
    static func upsert(_ orders: [StoredBuyOrder], refresh: Bool = false, on connection: PostgresConnection) throws -> Int {
        guard !orders.isEmpty else { return 0 }
        let conflict =
            refresh
            ? """
            DO UPDATE SET sequence = excluded.sequence, client_id = excluded.client_id, currency = excluded.currency,
                currency_amount = excluded.currency_amount, btc_rate = excluded.btc_rate, btc_amount = excluded.btc_amount,
                rate_source = excluded.rate_source, rate_quoted_at = excluded.rate_quoted_at, created_at = excluded.created_at,
                quote_id = excluded.quote_id
            """ : "DO NOTHING"
        let rows = try connection.query(
            prepared: """
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
                """)
        // Delivered at commit: fetch-buy-orders pushes the new orders to its streams.
        if rows.affectedRows > 0 {
            try connection.query(prepared: "SELECT pg_notify(\(ReadModelSignal.ordersProjected), '')")
        }
        return rows.affectedRows
    }
}
