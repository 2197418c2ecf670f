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
        let rows = try await KeysetPage.read(query.page, anchor: query.anchor, on: database)
        let events = try rows.map { (id: try $0.text("event_id"), body: EventBody.forClient(type: try $0.text("type"), body: try $0.text("body"))) }
        let page = KeysetPage.split(events, size: request.pageSize, id: \.id)
        return ActivityPage(rows: page.rows.map(\.body), lastReference: page.lastReference)
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

    private static let table = KeysetPage.Table(
        name: "activity", id: "event_id", time: "occurred_at", tiebreak: "event_id",
        lowestTiebreak: "'00000000-0000-0000-0000-000000000000'::uuid")

    init(request: ActivityRequest, client: String) {
        var conditions: [PostgresQuery] = ["a.client_id = \(client)"]
        if let reference = request.lastReference {
            let seek = KeysetPage.seek(Self.table, alias: "a", client: client, below: reference, to: request.to?.utcText)
            conditions.append(seek.condition)
            anchor = seek.anchor
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
