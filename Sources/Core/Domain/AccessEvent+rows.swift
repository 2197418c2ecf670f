extension AccessEvent.Client {
    /// The columns of `client` that make one, timestamps as RFC 3339 text (write model).
    public static let columns = """
        id, \(BuyOrderView.createdAtSQL("created_at")) AS created_at, rate_limit_per_s::text AS rate_limit_per_s,
        rate_limit_burst::text AS rate_limit_burst, version
        """

    /// A client from a row selected with `columns`; the rate as exact decimal text without trailing zeros.
    public init(row: PostgresRow) throws {
        self.init(
            id: try row.text("id"), createdAt: try row.text("created_at"),
            rateLimitPerS: row["rate_limit_per_s"].flatMap(RateLimit.parsePerSecond).map(RateLimit.perSecondText),
            rateLimitBurst: row["rate_limit_burst"].flatMap { Int64($0) }, version: try row.int("version"))
    }
}

extension AccessEvent.Key {
    /// The columns of `api_key` that make one (write model): never a secret, only its hash.
    public static let columns = """
        key_id, client_id, array_to_string(scopes, ',') AS scopes, label,
        \(BuyOrderView.createdAtSQL("created_at")) AS created_at, \(BuyOrderView.createdAtSQL("revoked_at")) AS revoked_at,
        encode(secret_sha256, 'hex') AS secret_sha256
        """

    public init(row: PostgresRow) throws {
        self.init(
            keyID: try row.text("key_id"), clientID: try row.text("client_id"),
            scopes: try row.text("scopes").split(separator: ",").map(String.init), label: try row.text("label"),
            createdAt: try row.text("created_at"), revokedAt: row["revoked_at"], secretSHA256: try row.text("secret_sha256"))
    }
}
