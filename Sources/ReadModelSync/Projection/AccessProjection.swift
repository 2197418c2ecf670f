import Core

/// The read model's SQL for clients and keys, which fetch-buy-orders checks requests against.
/// Events may arrive in any order and more than once: a client's row keeps its highest `version`,
/// and a key once revoked stays revoked. Absent values travel as '' in the bound arrays.
enum AccessProjection {
    /// The statement upserting `clients`, or nil when there are none.
    static func upsert(clients: [AccessEvent.Client]) -> PostgresQuery? {
        guard !clients.isEmpty else { return nil }
        return """
            INSERT INTO client AS c (id, rate_limit_per_s, rate_limit_burst, version, created_at)
            SELECT id, nullif(per_s, '')::numeric, nullif(burst, '')::int, version, created_at
            FROM unnest(\(clients.map(\.id))::text[], \(clients.map { $0.rateLimitPerS ?? "" })::text[],
                \(clients.map { $0.rateLimitBurst.map(String.init) ?? "" })::text[], \(clients.map(\.version))::bigint[],
                \(clients.map(\.createdAt))::timestamptz[]) AS i (id, per_s, burst, version, created_at)
            ON CONFLICT (id) DO UPDATE SET rate_limit_per_s = excluded.rate_limit_per_s,
                rate_limit_burst = excluded.rate_limit_burst, version = excluded.version
            WHERE c.version < excluded.version
            """
    }

    /// The statement upserting `keys`, or nil when there are none.
    static func upsert(keys: [AccessEvent.Key]) -> PostgresQuery? {
        guard !keys.isEmpty else { return nil }
        return """
            INSERT INTO api_key AS k (key_id, client_id, secret_sha256, scopes, label, created_at, revoked_at)
            SELECT key_id, client_id, decode(secret_sha256, 'hex'), string_to_array(scopes, ','), label, created_at,
                nullif(revoked_at, '')::timestamptz
            FROM unnest(\(keys.map(\.keyID))::text[], \(keys.map(\.clientID))::text[], \(keys.map(\.secretSHA256))::text[],
                \(keys.map { $0.scopes.joined(separator: ",") })::text[], \(keys.map(\.label))::text[],
                \(keys.map(\.createdAt))::timestamptz[], \(keys.map { $0.revokedAt ?? "" })::text[])
                AS i (key_id, client_id, secret_sha256, scopes, label, created_at, revoked_at)
            ON CONFLICT (key_id) DO UPDATE SET revoked_at = coalesce(k.revoked_at, excluded.revoked_at)
            """
    }
}
