import Core
import Foundation

/// A quote as an order's transaction reads it under the lock of the BTC total: what it holds, and
/// whether, by the database's clock at that moment, it is still valid and unused.
struct HeldQuote: Sendable, Equatable {
    var id: UUID
    var clientID: String
    var currency: Currency
    var rate: ExchangeRate
    var source: String
    /// When the price source gave the rate (RFC 3339); the order stores it as its `rate_quoted_at`.
    var rateQuotedAt: String
    var expiresAt: String
    var isLive: Bool
    /// An order was made from it.
    var isUsed: Bool
}

extension HeldQuote {
    /// The quotes among `ids`, as they stand now; inside the order's transaction.
    static func query(ids: [UUID]) -> PostgresQuery {
        """
        SELECT q.id::text AS id, q.client_id, q.currency, q.rate::text AS rate, q.source,
               \(unsafeSQL: BuyOrderView.createdAtSQL("q.rate_quoted_at")) AS rate_quoted_at,
               \(unsafeSQL: BuyOrderView.createdAtSQL("q.expires_at")) AS expires_at,
               q.expires_at > clock_timestamp() AS live,
               EXISTS (SELECT 1 FROM buy_order o WHERE o.quote_id = q.id) AS used
        FROM quote q WHERE q.id = ANY(\(ids)::uuid[])
        """
    }

    init(row: PostgresRow) throws {
        func invalid(_ column: String) -> PostgresError {
            PostgresError(code: .other, message: "quote.\(column) is unreadable: \(row[column] ?? "NULL")")
        }
        guard let id = UUID(text: try row.text("id")) else { throw invalid("id") }
        guard let currency = Currency(code: try row.text("currency")) else { throw invalid("currency") }
        guard let rate = try? ExchangeRate(parsing: try row.text("rate")) else { throw invalid("rate") }
        self.init(
            id: id, clientID: try row.text("client_id"), currency: currency, rate: rate, source: try row.text("source"),
            rateQuotedAt: try row.text("rate_quoted_at"), expiresAt: try row.text("expires_at"),
            isLive: try row.text("live") == "t", isUsed: try row.text("used") == "t")
    }
}
