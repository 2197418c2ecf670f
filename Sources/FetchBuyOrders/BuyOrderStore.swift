import Core
import Foundation

/// One page of orders, newest first, and where the next one starts.
struct BuyOrderPage: Sendable, Equatable {
    var rows: [BuyOrderView]
    /// The id of the last row when older orders exist, nil on the last page.
    var lastReference: String?
}

/// Reads orders from the read model, always within one client. Statements are prepared once per connection;
/// reads are idempotent, so one that finds its connection broken runs again on another.
struct BuyOrderStore: Sendable {
    let database: PostgresClient

    /// The page after `request.lastReference` (or the first), keyset-seeked on an index at any depth.
    func page(_ request: PageRequest, client: String) async throws -> BuyOrderPage {
        let query = PageQuery(request: request, client: client)
        let rows = try await KeysetPage.read(query.page, anchor: query.anchor, on: database)
        let page = KeysetPage.split(try rows.map(Self.order), size: request.pageSize, id: \.id)
        return BuyOrderPage(rows: page.rows, lastReference: page.lastReference)
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

    private static let table = KeysetPage.Table(
        name: "buy_order", id: "id", time: "created_at", tiebreak: "sequence", lowestTiebreak: "'\(Int64.min)'::bigint")

    init(request: PageRequest, client: String) {
        var conditions: [PostgresQuery] = ["o.client_id = \(client)"]
        if let reference = request.lastReference {
            let seek = KeysetPage.seek(Self.table, alias: "o", client: client, below: reference, to: request.to?.utcText)
            conditions.append(seek.condition)
            anchor = seek.anchor
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
