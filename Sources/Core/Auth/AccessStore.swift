/// Reads keys and clients. The write model (create-buy-order, buyorders-admin) and the read model
/// (fetch-buy-orders, projected by read-model-sync) hold `api_key` and `client` with the same columns,
/// so one store serves both.
public struct AccessStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// The key with this id, or nil.
    public func key(id: String) async throws -> APIKeyRecord? {
        let query: PostgresQuery = """
            SELECT k.key_id, k.client_id, encode(k.secret_sha256, 'hex') AS secret_sha256,
                   array_to_string(k.scopes, ',') AS scopes, (k.revoked_at IS NOT NULL)::text AS revoked,
                   c.rate_limit_per_s::text AS rate_limit_per_s, c.rate_limit_burst::text AS rate_limit_burst
            FROM api_key k JOIN client c ON c.id = k.client_id
            WHERE k.key_id = \(id)
            """
        guard let row = try await database.withConnection(idempotent: true, { try $0.query(prepared: query) }).first else { return nil }
        guard let hash = APIKeySecretHash(hex: try row.text("secret_sha256")),
            let scopes = APIScope.parseList(try row.text("scopes"))
        else { throw PostgresError(code: .other, message: "api_key \(id) has an unreadable hash or scopes") }
        return APIKeyRecord(
            keyID: try row.text("key_id"), clientID: try row.text("client_id"), secretHash: hash, scopes: scopes,
            isRevoked: try row.text("revoked") == "true", rateLimit: try Self.rateLimit(row))
    }

    /// Whether the client exists, and its own rate limit.
    public func client(id: String) async throws -> (exists: Bool, rateLimit: RateLimit?) {
        let query: PostgresQuery = """
            SELECT rate_limit_per_s::text AS rate_limit_per_s, rate_limit_burst::text AS rate_limit_burst
            FROM client WHERE id = \(id)
            """
        guard let row = try await database.withConnection(idempotent: true, { try $0.query(prepared: query) }).first else { return (false, nil) }
        return (true, try Self.rateLimit(row))
    }

    /// A client's own limit: both columns set, or neither.
    static func rateLimit(_ row: PostgresRow) throws -> RateLimit? {
        guard let perSecond = row["rate_limit_per_s"], let burst = row["rate_limit_burst"] else { return nil }
        guard let milli = RateLimit.parsePerSecond(perSecond), let burst = Int64(burst),
            let limit = RateLimit(milliPerSecond: milli, burst: burst)
        else { throw PostgresError(code: .other, message: "client has an unreadable rate limit") }
        return limit
    }
}
