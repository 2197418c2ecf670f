import Core
import Foundation

/// One page of a client's events, newest first, and where the next one starts.
struct ActivityPage: Sendable, Equatable {
    /// Each event's body as the client sees it (`EventBody.forClient`).
    var rows: [String]
    /// The id of the last event when older ones exist, nil on the last page.
    var lastReference: String?
}

/// Reads the activity feed from the read model, always within one client; prepared once per connection,
/// idempotent (a read that finds its connection broken runs again on another).
struct ActivityStore: Sendable {
    let database: PostgresClient

    func page(_ request: ActivityRequest, client: String) async throws -> ActivityPage {
        let query = ActivityQuery(request: request, client: client)
        let rows = try await database.withConnection(idempotent: true) { connection -> PostgresRows in
            let rows = try connection.query(prepared: query.page)
            guard rows.isEmpty, let anchor = query.anchor else { return rows }
            guard try !connection.query(prepared: anchor).isEmpty else { throw UnknownReference() }
            // The anchor may have been recorded between the two reads: its page is asked for again.
            return try connection.query(prepared: query.page)
        }
        var events = try rows.map { (id: try $0.text("event_id"), body: EventBody.forClient(type: try $0.text("type"), body: try $0.text("body"))) }
        var lastReference: String?
        if events.count > request.pageSize {
            events.removeLast(events.count - request.pageSize)
            lastReference = events.last?.id
        }
        return ActivityPage(rows: events.map(\.body), lastReference: lastReference)
    }
}

/// The SQL of one activity page: one statement text per combination of filters (and per number of
/// types), so each gets its own prepared plan. Without a type filter it seeks `activity_page`; with
/// types, one seek of `activity_type_page` per type, merged in page order (a Merge Append, no sort),
/// so a page costs the same at any depth and for any mix of types.
struct ActivityQuery {
    let page: PostgresQuery
    /// Whether the reference exists for the client, asked only when the page comes back empty.
    let anchor: PostgresQuery?

    init(request: ActivityRequest, client: String) {
        var conditions: [PostgresQuery] = ["a.client_id = \(client)"]
        if let reference = request.lastReference {
            // As for orders: `to` is folded into the start of the seek.
            let start: PostgresQuery
            if let to = request.to?.utcText {
                start = """
                    LEAST(r.occurred_at, \(to)::timestamptz), CASE WHEN r.occurred_at < \(to)::timestamptz \
                    THEN r.event_id ELSE '00000000-0000-0000-0000-000000000000'::uuid END
                    """
            } else {
                start = "r.occurred_at, r.event_id"
            }
            conditions.append(
                """
                (a.occurred_at, a.event_id) < \
                (SELECT \(start) FROM activity r WHERE r.client_id = \(client) AND r.event_id = \(reference)::uuid)
                """)
            anchor = "SELECT 1 FROM activity WHERE client_id = \(client) AND event_id = \(reference)::uuid"
        } else {
            anchor = nil
            if let to = request.to { conditions.append("a.occurred_at < \(to.utcText)::timestamptz") }
        }
        if let from = request.from { conditions.append("a.occurred_at >= \(from.utcText)::timestamptz") }
        let columns = "a.occurred_at, a.event_id, a.type, a.body"
        func select(where conditions: [PostgresQuery]) -> PostgresQuery {
            """
            SELECT \(unsafeSQL: columns) FROM activity a WHERE \(conditions.joined(separator: " AND ")) \
            ORDER BY a.occurred_at DESC, a.event_id DESC LIMIT \(request.pageSize + 1)
            """
        }
        if request.types.isEmpty {
            page = select(where: conditions)
        } else {
            let branches = request.types.map { type in "(\(select(where: conditions + ["a.type = \(type)"])))" as PostgresQuery }
            page = """
                SELECT \(unsafeSQL: columns) FROM (\(branches.joined(separator: " UNION ALL "))) a
                ORDER BY a.occurred_at DESC, a.event_id DESC LIMIT \(request.pageSize + 1)
                """
        }
    }
}
