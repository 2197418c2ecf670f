import Core

/// One projected order as streams carry it.
struct StreamedOrder: Sendable, Equatable {
    var position: StreamPosition
    var clientID: String
    var order: BuyOrderView
}

/// The stream's SQL on the read model. Orders are read in position order, and only those whose
/// transaction is older than the oldest transaction still running (`pg_snapshot_xmin`): every such
/// transaction has ended, so no order can appear later before what was read.
enum StreamFeed {
    struct Read: Sendable {
        /// Every client's orders after the position asked for, up to the limit.
        var orders: [StreamedOrder]
        /// The oldest transaction still running when the read began: everything before it was read.
        var horizon: UInt64
        /// Whether committed orders wait for an older transaction to end.
        var pending: Bool
    }

    static let orderColumns = """
        o.projected_xid::text AS xid, o.projected_sequence, o.client_id, o.id,
        \(BuyOrderView.createdAtSQL("o.created_at")) AS created_at_text, o.currency, o.currency_amount, o.btc_rate, o.btc_amount,
        o.quote_id
        """

    /// The fan-out's read: the orders of every client after `position`.
    static func read(after position: StreamPosition, limit: Int, on connection: PostgresConnection) throws -> Read {
        let rows = try connection.query(prepared: readQuery(after: position, limit: limit))
        guard let first = rows.first, let horizon = UInt64(try first.text("horizon")) else {
            throw PostgresError(code: .other, message: "no horizon in the stream read")
        }
        let orders = try rows.compactMap { row in row["id"] == nil ? nil : try order(row) }
        return Read(orders: orders, horizon: horizon, pending: first["pending"] == "t")
    }

    /// Whether anything is pending is asked of the newest position (one step down the index): an
    /// `EXISTS` with a range on it was planned as a scan of every order when the planner guessed.
    static func readQuery(after position: StreamPosition, limit: Int) -> PostgresQuery {
        """
        WITH h AS (
            SELECT x.xmin,
                coalesce((SELECT p.projected_xid FROM buy_order p ORDER BY p.projected_xid DESC LIMIT 1) >= x.xmin, false)
                    AS pending
            FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) x)
        SELECT h.xmin::text AS horizon, h.pending, o.*
        FROM h LEFT JOIN LATERAL (
            SELECT \(unsafeSQL: orderColumns) FROM buy_order o
            WHERE (o.projected_xid, o.projected_sequence) > (\(String(position.xid))::xid8, \(position.sequence))
              AND o.projected_xid < h.xmin
            ORDER BY o.projected_xid, o.projected_sequence
            LIMIT \(limit)) o ON true
        """
    }

    /// The oldest transaction running now: a stream that starts here has seen everything before it.
    static func horizon(on connection: PostgresConnection) throws -> UInt64 {
        let text = try connection.query(prepared: "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon")
            .first?.text("horizon")
        guard let text, let horizon = UInt64(text) else {
            throw PostgresError(code: .other, message: "no horizon")
        }
        return horizon
    }

    /// A resuming stream's read: `client`'s orders (of `currency`, if given) after `after` and up to
    /// `through`, a position the fan-out has passed, so every one of them is settled.
    static func catchUp(
        client: String, currency: Currency?, after: StreamPosition, through: StreamPosition, limit: Int,
        on connection: PostgresConnection
    ) throws -> [StreamedOrder] {
        try connection.query(prepared: catchUpQuery(client: client, currency: currency, after: after, through: through, limit: limit))
            .map(order)
    }

    /// One statement text with a currency and one without, each prepared on the index of the client's positions.
    static func catchUpQuery(client: String, currency: Currency?, after: StreamPosition, through: StreamPosition, limit: Int)
        -> PostgresQuery
    {
        let currencyCondition: PostgresQuery = currency.map { " AND o.currency = \($0.code)" } ?? ""
        return """
            SELECT \(unsafeSQL: orderColumns) FROM buy_order o
            WHERE o.client_id = \(client) AND (o.projected_xid, o.projected_sequence) > (\(String(after.xid))::xid8, \(after.sequence)::bigint)
              AND (o.projected_xid, o.projected_sequence) <= (\(String(through.xid))::xid8, \(through.sequence)::bigint)\(currencyCondition)
            ORDER BY o.projected_xid, o.projected_sequence
            LIMIT \(limit)
            """
    }

    private static func order(_ row: PostgresRow) throws -> StreamedOrder {
        guard let xid = UInt64(try row.text("xid")) else {
            throw PostgresError(code: .other, message: "projected_xid is not a transaction id")
        }
        return StreamedOrder(
            position: StreamPosition(xid: xid, sequence: try row.int("projected_sequence")),
            clientID: try row.text("client_id"), order: try BuyOrderStore.order(row))
    }
}
