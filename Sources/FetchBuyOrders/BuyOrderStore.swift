import Core
import Foundation

/// One page of orders, newest first, and where the next one starts.
struct BuyOrderPage: Sendable, Equatable {
    var rows: [BuyOrderView]
    /// The id of the last row when older orders exist, nil on the last page.
    var lastReference: String?
}

/// `last_reference` names no order of this client.
struct UnknownReference: Error {}

/// Reads orders from the read model, always within one client. Statements are prepared once per connection;
/// reads are idempotent, so one that finds its connection broken runs again on another.
struct BuyOrderStore: Sendable {
    let database: PostgresClient

    /// The page after `request.lastReference` (or the first), keyset-seeked on an index at any depth.
    func page(_ request: PageRequest, client: String) async throws -> BuyOrderPage {
        let query = PageQuery(request: request, client: client)
        let rows = try await database.withConnection(idempotent: true) { connection -> PostgresRows in
            let rows = try connection.query(prepared: query.page)
            guard rows.isEmpty, let anchor = query.anchor else { return rows }
            guard try !connection.query(prepared: anchor).isEmpty else { throw UnknownReference() }
            // The anchor may have been projected between the two reads: its page is asked for again.
            return try connection.query(prepared: query.page)
        }
        var orders = try rows.map(Self.order)
        var lastReference: String?
        if orders.count > request.pageSize {
            orders.removeLast(orders.count - request.pageSize)
            lastReference = orders.last?.id
        }
        return BuyOrderPage(rows: orders, lastReference: lastReference)
    }

    /// One order of `client`, or nil.
    func order(id: UUID, client: String) async throws -> BuyOrderView? {
        let query: PostgresQuery = """
            SELECT id, \(unsafeSQL: BuyOrderView.createdAtSQL("created_at")) AS created_at_text,
                   currency, currency_amount, btc_rate, btc_amount, quote_id
            FROM buy_order WHERE client_id = \(client) AND id = \(id)
            """
        return try await database.withConnection(idempotent: true) { try $0.query(prepared: query) }.first.map(Self.order)
    }

    static func order(_ row: PostgresRow) throws -> BuyOrderView {
        BuyOrderView(
            id: try row.text("id"), createdAt: try row.text("created_at_text"), currency: try row.text("currency"),
            currencyAmount: try row.text("currency_amount"), btcRate: BuyOrderView.trimmedRate(try row.text("btc_rate")),
            btcAmount: try row.text("btc_amount"), quoteID: row["quote_id"])
    }
}

/// The SQL of one page request: one statement text per combination of filters, so every combination
/// gets its own prepared plan on the matching index.
struct PageQuery {
    let page: PostgresQuery
    /// Whether the reference exists for the client, asked only when the page comes back empty.
    let anchor: PostgresQuery?

    init(request: PageRequest, client: String) {
        var conditions: [PostgresQuery] = ["o.client_id = \(client)"]
        if let reference = request.lastReference {
            // The seek starts below the anchor; `to` is folded into it, as PostgreSQL would otherwise start
            // at the anchor even when `to` lies far below it, and scan down to `to`.
            let start: PostgresQuery
            if let to = request.to?.utcText {
                start = """
                    LEAST(a.created_at, \(to)), CASE WHEN a.created_at < \(to) THEN a.sequence \
                    ELSE '\(unsafeSQL: String(Int64.min))'::bigint END
                    """
            } else {
                start = "a.created_at, a.sequence"
            }
            conditions.append(
                "(o.created_at, o.sequence) < (SELECT \(start) FROM buy_order a WHERE a.client_id = \(client) AND a.id = \(reference))")
            anchor = "SELECT 1 FROM buy_order WHERE client_id = \(client) AND id = \(reference)"
        } else {
            anchor = nil
            if let to = request.to { conditions.append("o.created_at < \(to.utcText)") }
        }
        if let currency = request.currency { conditions.append("o.currency = \(currency.code)") }
        if let from = request.from { conditions.append("o.created_at >= \(from.utcText)") }
        page = """
            SELECT o.id, \(unsafeSQL: BuyOrderView.createdAtSQL("o.created_at")) AS created_at_text,
                   o.currency, o.currency_amount, o.btc_rate, o.btc_amount, o.quote_id
            FROM buy_order o
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY o.created_at DESC, o.sequence DESC
            LIMIT \(request.pageSize + 1)
            """
    }
}
