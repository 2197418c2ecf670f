import Core

/// The read model's SQL for the activity feed: every event once, by event id (a duplicate is harmless).
enum ActivityProjection {
    /// The statement inserting `records`, or nil when there are none.
    static func insert(_ records: [ActivityRecord]) -> PostgresQuery? {
        guard !records.isEmpty else { return nil }
        // Absent clients travel as '' in the bound array (a client id is never empty).
        return """
            INSERT INTO activity (event_id, type, client_id, occurred_at, body)
            SELECT event_id, type, nullif(client_id, ''), occurred_at, body
            FROM unnest(\(records.map(\.eventID))::uuid[], \(records.map(\.type))::text[],
                \(records.map { $0.clientID ?? "" })::text[], \(records.map(\.occurredAt))::timestamptz[],
                \(records.map(\.body))::text[]) AS i (event_id, type, client_id, occurred_at, body)
            ON CONFLICT (event_id) DO NOTHING
        """
    }
}
