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
        var binds: [String?] = [client]
        func bind(_ value: String) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions = ["a.client_id = $1"]
        if let reference = request.lastReference {
            let id = bind(reference.postgresText)
            // As for orders: `to` is folded into the start of the seek.
            let start: String
            if let to = request.to {
                let bound = bind(to.utcText)
                start = "LEAST(r.occurred_at, \(bound)::timestamptz), CASE WHEN r.occurred_at < \(bound)::timestamptz"
                    + " THEN r.event_id ELSE '00000000-0000-0000-0000-000000000000'::uuid END"
            } else {
                start = "r.occurred_at, r.event_id"
            }
            conditions.append(
                "(a.occurred_at, a.event_id) < (SELECT \(start) FROM activity r WHERE r.client_id = $1 AND r.event_id = \(id)::uuid)")
            anchor = PostgresQuery(
                unsafeSQL: "SELECT 1 FROM activity WHERE client_id = $1 AND event_id = $2::uuid",
                binds: [client, reference.postgresText])
        } else {
            anchor = nil
            if let to = request.to { conditions.append("a.occurred_at < \(bind(to.utcText))::timestamptz") }
        }
        if let from = request.from { conditions.append("a.occurred_at >= \(bind(from.utcText))::timestamptz") }
        let limit = bind(String(request.pageSize + 1))
        let order = "ORDER BY a.occurred_at DESC, a.event_id DESC LIMIT \(limit)"
        let columns = "a.occurred_at, a.event_id, a.type, a.body"
        let sql: String
        if request.types.isEmpty {
            sql = "SELECT \(columns) FROM activity a WHERE \(conditions.joined(separator: " AND ")) \(order)"
        } else {
            let branches = request.types.map { type in
                let typed = conditions + ["a.type = \(bind(type))"]
                return "(SELECT \(columns) FROM activity a WHERE \(typed.joined(separator: " AND ")) \(order))"
            }
            sql = """
                SELECT a.occurred_at, a.event_id, a.type, a.body FROM (\(branches.joined(separator: " UNION ALL "))) a
                \(order)
                """
        }
        page = PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
