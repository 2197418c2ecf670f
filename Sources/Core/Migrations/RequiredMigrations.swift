/// The migrations a service needs before it may report ready.
public struct RequiredMigrations: Sendable {
    public let ids: [String]

    public init(_ ids: [String]) {
        self.ids = ids
    }

    /// The required ids not yet applied on `connection` (all of them when bookkeeping is missing).
    public func missing(on connection: PostgresConnection) throws -> [String] {
        let rows: PostgresRows
        do {
            rows = try connection.query("SELECT migration_id FROM _yoyo_migration WHERE migration_id = ANY(\(ids))")
        } catch let error as PostgresError where error.code == .undefinedTable {
            return ids
        }
        let applied = Set(rows.compactMap { $0["migration_id"] })
        return ids.filter { !applied.contains($0) }
    }
}

extension RequiredMigrations {
    /// Everything in migrations/write_model.
    public static let writeModel = RequiredMigrations([
        "0001_client", "0002_buy_order", "0003_idempotency_key", "0004_btc_total", "0005_outbox",
        "0006_outbox_order_reference", "0007_outbox_parked", "0008_clients_and_keys", "0009_grants", "0010_quotes",
        "0011_idempotency_key_retention", "0012_quote_grants", "0013_idempotency_key_purge",
        "0014_idempotency_key_purge_by_row_address",
    ])
    /// Everything in migrations/read_model.
    public static let readModel = RequiredMigrations([
        "0001_buy_order", "0002_clients_and_keys", "0003_grants", "0004_buy_order_quote", "0010_activity",
        "0011_buy_order_stream", "0012_activity_grants",
    ])
}
