import Core
import Foundation

/// What order pages and activity pages share: newest first, within one client, each page seeked on an
/// index below the row its `last_reference` names (the anchor), at the same cost at any depth.
enum KeysetPage {
    /// A table read in pages: the id a `last_reference` names, and the columns that order a page (a time,
    /// then a tiebreak whose lowest value `lowestTiebreak` spells in SQL).
    struct Table {
        let name: String
        let id: String
        let time: String
        let tiebreak: String
        let lowestTiebreak: String
    }

    /// The rows of `alias` below the anchor `reference`, and the probe whether that anchor exists.
    /// `to` (exclusive) is folded into the start of the seek: PostgreSQL would otherwise start at the
    /// anchor even when `to` lies far below it, and scan down to `to`.
    static func seek(_ table: Table, alias: String, client: String, below reference: UUID, to: String?)
        -> (condition: PostgresQuery, anchor: PostgresQuery)
    {
        let time = "anchor.\(table.time)"
        let start: PostgresQuery =
            if let to {
                """
                LEAST(\(unsafeSQL: time), \(to)), CASE WHEN \(unsafeSQL: time) < \(to) \
                THEN anchor.\(unsafeSQL: table.tiebreak) ELSE \(unsafeSQL: table.lowestTiebreak) END
                """
            } else {
                "\(unsafeSQL: time), anchor.\(unsafeSQL: table.tiebreak)"
            }
        let condition: PostgresQuery = """
            (\(unsafeSQL: alias).\(unsafeSQL: table.time), \(unsafeSQL: alias).\(unsafeSQL: table.tiebreak)) < \
            (SELECT \(start) FROM \(unsafeSQL: table.name) anchor \
            WHERE anchor.client_id = \(client) AND anchor.\(unsafeSQL: table.id) = \(reference))
            """
        let anchor: PostgresQuery =
            "SELECT 1 FROM \(unsafeSQL: table.name) WHERE client_id = \(client) AND \(unsafeSQL: table.id) = \(reference)"
        return (condition, anchor)
    }

    /// Runs `page`; when it comes back empty below an anchor, asks whether the anchor exists (throwing
    /// `UnknownReference` if not) and, as it may have been projected between the two reads, runs `page` again.
    static func read(_ page: PostgresQuery, anchor: PostgresQuery?, on database: PostgresClient) async throws
        -> PostgresRows
    {
        try await database.withConnection(idempotent: true) { connection -> PostgresRows in
            let rows = try connection.query(prepared: page)
            guard rows.isEmpty, let anchor else { return rows }
            guard try !connection.query(prepared: anchor).isEmpty else { throw UnknownReference() }
            return try connection.query(prepared: page)
        }
    }

    /// A page's rows and its `last_reference`, from the `size + 1` rows read: the extra row, when there is
    /// one, only says that older rows exist.
    static func split<Row>(_ rows: [Row], size: Int, id: (Row) -> String) -> (rows: [Row], lastReference: String?) {
        guard rows.count > size else { return (rows, nil) }
        let page = Array(rows.prefix(size))
        return (page, page.last.map(id))
    }
}

/// `last_reference` names no row of this client.
struct UnknownReference: Error {}
