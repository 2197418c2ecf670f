import Core
import Foundation

/// The write model's SQL for clients, keys and the BTC limit. Every change commits in one
/// transaction with its event in the outbox, which the relay publishes (the activity feed and the
/// read model, which fetch-buy-orders checks keys against, are built from those events).
struct AdminStore {
    let connection: PostgresConnection

    // MARK: - Clients

    func createClient(_ name: String) throws -> AccessEvent.Client {
        guard name.utf8.count <= 64, !name.isEmpty,
            name.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2d })
        else { throw AdminRefusal.invalidClientName(name) }
        return try connection.transaction { connection in
            let rows: PostgresRows
            do {
                rows = try connection.query(
                    "INSERT INTO client (id) VALUES (\(name)) RETURNING \(unsafeSQL: AccessEvent.Client.columns)")
            } catch let error as PostgresError where error.code == .uniqueViolation {
                throw AdminRefusal.clientExists(name)
            }
            let client = try AccessEvent.Client(row: rows.first!)
            try publish(.init(type: .clientCreated, occurredAt: client.createdAt, clientID: name, client: client), on: connection)
            return client
        }
    }

    /// Every client with its count of keys that are not revoked.
    func clients() throws -> [(client: AccessEvent.Client, activeKeys: Int)] {
        let rows = try connection.query(
            """
            SELECT \(unsafeSQL: AccessEvent.Client.columns),
                   (SELECT count(*) FROM api_key k WHERE k.client_id = c.id AND k.revoked_at IS NULL) AS active_keys
            FROM client c ORDER BY id
            """)
        return try rows.map { (try AccessEvent.Client(row: $0), Int(try $0.int("active_keys"))) }
    }

    func setRateLimit(client name: String, _ limit: RateLimit) throws -> AccessEvent.Client {
        try connection.transaction { connection in
            let rows = try connection.query(
                """
                UPDATE client SET rate_limit_per_s = \(limit.perSecondText)::numeric, rate_limit_burst = \(Int(limit.burst)),
                       version = version + 1
                WHERE id = \(name) RETURNING \(unsafeSQL: AccessEvent.Client.columns)
                """)
            guard let row = rows.first else { throw AdminRefusal.unknownClient(name) }
            let client = try AccessEvent.Client(row: row)
            try publish(
                .init(type: .clientRateLimitChanged, occurredAt: Self.now(connection), clientID: name, client: client),
                on: connection)
            return client
        }
    }

    // MARK: - Keys

    func createKey(client name: String, scopes: Set<APIScope>, label: String) throws -> (APIKey, AccessEvent.Key) {
        let key = APIKey.generate()
        return try connection.transaction { connection in
            let rows: PostgresRows
            do {
                rows = try connection.query(
                    """
                    INSERT INTO api_key (key_id, client_id, secret_sha256, scopes, label)
                    VALUES (\(key.keyID), \(name), decode(\(key.secretHash.hex), 'hex'),
                            \(scopes.sorted().map(\.rawValue))::text[], \(label))
                    RETURNING \(unsafeSQL: AccessEvent.Key.columns)
                    """)
            } catch let error as PostgresError where error.code == .foreignKeyViolation {
                throw AdminRefusal.unknownClient(name)
            }
            let record = try AccessEvent.Key(row: rows.first!)
            try publish(.init(type: .apiKeyCreated, occurredAt: record.createdAt, clientID: name, apiKey: record), on: connection)
            return (key, record)
        }
    }

    func keys(client name: String) throws -> [AccessEvent.Key] {
        let rows = try connection.query(
            "SELECT \(unsafeSQL: AccessEvent.Key.columns) FROM api_key WHERE client_id = \(name) ORDER BY created_at, key_id")
        if rows.isEmpty, try connection.query("SELECT 1 FROM client WHERE id = \(name)").isEmpty {
            throw AdminRefusal.unknownClient(name)
        }
        return try rows.map(AccessEvent.Key.init(row:))
    }

    /// Revokes a key; a key revoked before stays as it was (`wasRevoked`), and no event is written.
    func revokeKey(id: String) throws -> (key: AccessEvent.Key, wasRevoked: Bool) {
        try connection.transaction { connection in
            let rows = try connection.query(
                "SELECT (revoked_at IS NOT NULL)::text AS was_revoked FROM api_key WHERE key_id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw AdminRefusal.unknownKey(id) }
            let wasRevoked = try row.text("was_revoked") == "true"
            let key: AccessEvent.Key
            if wasRevoked {
                key = try AccessEvent.Key(
                    row: try connection.query("SELECT \(unsafeSQL: AccessEvent.Key.columns) FROM api_key WHERE key_id = \(id)").first!)
            } else {
                key = try AccessEvent.Key(
                    row: try connection.query(
                        """
                        UPDATE api_key SET revoked_at = clock_timestamp() WHERE key_id = \(id)
                        RETURNING \(unsafeSQL: AccessEvent.Key.columns)
                        """
                    ).first!)
                try publish(
                    .init(type: .apiKeyRevoked, occurredAt: key.revokedAt ?? key.createdAt, clientID: key.clientID, apiKey: key),
                    on: connection)
            }
            return (key, wasRevoked)
        }
    }

    // MARK: - The BTC limit

    func limit() throws -> (limit: BTCAmount, total: BTCAmount) {
        try Self.totals(try connection.query("SELECT limit_btc::text AS limit_btc, total::text AS total FROM btc_total"))
    }

    /// Sets the limit under the total's lock, so no order commits in between; never below the total.
    func setLimit(_ limit: BTCAmount) throws -> AccessEvent.Limit {
        try connection.transaction { connection in
            let (previous, total) = try Self.totals(
                try connection.query("SELECT limit_btc::text AS limit_btc, total::text AS total FROM btc_total FOR UPDATE"))
            guard limit >= total else {
                throw AdminRefusal.limitBelowTotal(limit: limit.description, total: total.description)
            }
            try connection.query("UPDATE btc_total SET limit_btc = \(limit.description)::numeric, updated_at = now()")
            let change = AccessEvent.Limit(
                limitBTC: limit.description, previousLimitBTC: previous.description, totalBTC: total.description)
            try publish(.init(type: .limitChanged, occurredAt: Self.now(connection), clientID: nil, limit: change), on: connection)
            return change
        }
    }

    // MARK: - Rows and events

    /// Writes the event into the outbox and signals the relay (the signal is delivered at commit).
    private func publish(_ event: AccessEvent, on connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO outbox (event_id, client_id, routing_key, payload)
            VALUES (\(event.eventID), \(event.clientID), \(event.routingKey), \(event.json)::json)
            """)
        try connection.query("SELECT pg_notify(\(Outbox.channel), '')")
    }

    private static func now(_ connection: PostgresConnection) throws -> String {
        try connection.query("SELECT \(unsafeSQL: BuyOrderView.createdAtSQL("clock_timestamp()")) AS now").first!.text("now")
    }

    private static func totals(_ rows: PostgresRows) throws -> (limit: BTCAmount, total: BTCAmount) {
        guard let row = rows.first, let limit = BTCAmount(parsing: try row.text("limit_btc")),
            let total = BTCAmount(parsing: try row.text("total"))
        else { throw PostgresError(code: .other, message: "btc_total has no readable row") }
        return (limit, total)
    }
}
