import Foundation

extension StoredBuyOrder {
    /// The columns of `buy_order o` (write or read model) that make a `StoredBuyOrder`, timestamps as RFC 3339 text.
    public static let columns = """
        o.id::text AS id, o.sequence, o.client_id, o.currency, o.currency_amount::text AS currency_amount,
        o.btc_rate::text AS btc_rate, o.btc_amount::text AS btc_amount, o.rate_source,
        \(BuyOrderView.createdAtSQL("o.rate_quoted_at")) AS rate_quoted_at, \(BuyOrderView.createdAtSQL("o.created_at")) AS created_at,
        o.quote_id::text AS quote_id
        """

    /// An order from a row selected with `columns`.
    public init(row: PostgresRow) throws {
        func invalid(_ column: String) -> PostgresError {
            PostgresError(code: .other, message: "buy_order.\(column) is unreadable: \(row[column] ?? "NULL")")
        }
        guard let id = UUID(text: try row.text("id")) else { throw invalid("id") }
        guard let currency = Currency(code: try row.text("currency")) else { throw invalid("currency") }
        guard let amount = try? FiatAmount(parsing: try row.text("currency_amount")) else { throw invalid("currency_amount") }
        guard let rate = try? ExchangeRate(parsing: try row.text("btc_rate")) else { throw invalid("btc_rate") }
        guard let btc = BTCAmount(parsing: try row.text("btc_amount")) else { throw invalid("btc_amount") }
        let quoteID = try row["quote_id"].map { text in
            guard let id = UUID(text: text) else { throw invalid("quote_id") }
            return id
        }
        self.init(
            id: id, sequence: try row.int("sequence"), clientID: try row.text("client_id"), currency: currency,
            currencyAmount: amount, btcRate: rate, btcAmount: btc, rateSource: try row.text("rate_source"),
            rateQuotedAt: try row.text("rate_quoted_at"), createdAt: try row.text("created_at"), quoteID: quoteID)
    }
}
