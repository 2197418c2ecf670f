import Core
import Foundation

/// The write model's SQL for making a quote: the quote and its `quote.created` event in one
/// transaction, with times by the database's clock (the clock an order's transaction checks the
/// expiry against). Two round trips: the event carries the times the insert returns.
struct QuoteStore: Sendable {
    let database: PostgresClient

    /// A quote for `clientID` at `price`, valid for `ttl`.
    func create(clientID: String, price: Price, ttl: Duration) async throws -> QuoteCreatedEvent.Quote {
        let id = UUID.random()
        let milliseconds = Int64(ttl / .milliseconds(1))
        return try await database.withTransaction { connection in
            let row = try connection.query(
                """
                WITH now AS (SELECT clock_timestamp() AS t)
                INSERT INTO quote (id, client_id, currency, rate, source, rate_quoted_at, quoted_at, expires_at)
                SELECT \(id), \(clientID), \(price.currency.code), \(price.rate.description)::numeric, \(price.source),
                       \(price.quotedAtText)::timestamptz, t, t + \(milliseconds)::bigint * interval '1 millisecond'
                FROM now
                RETURNING \(unsafeSQL: BuyOrderView.createdAtSQL("quoted_at")) AS quoted_at,
                          \(unsafeSQL: BuyOrderView.createdAtSQL("expires_at")) AS expires_at
                """
            ).first
            guard let row else { throw PostgresError(code: .other, message: "quote \(id) was not returned by its insert") }
            let quote = QuoteCreatedEvent.Quote(
                id: id, currency: price.currency, rate: price.rate, source: price.source,
                quotedAt: try row.text("quoted_at"), expiresAt: try row.text("expires_at"))
            let event = QuoteCreatedEvent(clientID: clientID, quote: quote)
            try connection.pipeline([
                """
                INSERT INTO outbox (event_id, client_id, routing_key, payload)
                VALUES (\(event.eventID), \(clientID), \(event.routingKey), \(event.json)::json)
                """,
                "SELECT pg_notify(\(Outbox.channel), '')",
            ])
            return quote
        }
    }
}
