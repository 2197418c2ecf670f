import Core
import Foundation
import Logging

/// `read-model-sync rebuild` and `verify`: operations that compare the read model with the write
/// model, the golden source. Blocking; run from the command line.
struct ReadModelAdmin {
    let write: PostgresConnection
    let read: PostgresConnection

    /// What both models say about one client's orders (or all of them).
    struct Summary: Equatable, CustomStringConvertible {
        let count: String
        let btcSum: String
        /// md5 over the ordered order ids.
        let checksum: String

        var description: String { "count \(count), sum of btc_amount \(btcSum), id checksum \(checksum)" }
    }

    static let summarySQL: PostgresQuery = """
        SELECT count(*)::text AS count, coalesce(sum(btc_amount), 0)::numeric(20,8)::text AS sum,
               md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) AS checksum
        FROM buy_order
        """

    static func summary(_ connection: PostgresConnection) throws -> Summary {
        let row = try connection.query(summarySQL).first!
        return Summary(count: try row.text("count"), btcSum: try row.text("sum"), checksum: try row.text("checksum"))
    }

    /// How many clients, keys and revoked keys a model holds: the read model must know every key and
    /// every revocation, since fetch-buy-orders checks keys there.
    static let accessSQL: PostgresQuery = """
        SELECT (SELECT count(*) FROM client)::text AS clients, (SELECT count(*) FROM api_key)::text AS keys,
               (SELECT count(*) FROM api_key WHERE revoked_at IS NOT NULL)::text AS revoked
        """

    /// Nil when both models hold the same orders, clients and keys, otherwise the difference in words.
    func verify() throws -> String? {
        let (expected, actual) = (try Self.summary(write), try Self.summary(read))
        var differences: [String] = []
        let (writeAccess, readAccess) = (try write.query(Self.accessSQL).first!, try read.query(Self.accessSQL).first!)
        for (column, what) in [("clients", "clients"), ("keys", "API keys"), ("revoked", "revoked API keys")]
        where writeAccess[column] != readAccess[column] {
            differences.append("\(what): write \(writeAccess[column] ?? "-"), read \(readAccess[column] ?? "-")")
        }
        guard expected != actual || !differences.isEmpty else { return nil }
        if expected.count != actual.count { differences.append("count: write \(expected.count), read \(actual.count)") }
        if expected.btcSum != actual.btcSum { differences.append("sum of btc_amount: write \(expected.btcSum), read \(actual.btcSum)") }
        if expected.checksum != actual.checksum { differences.append("order id checksum differs") }
        return differences.joined(separator: "; ")
    }

    /// The orders of the write model that the read model lacks, in id order, and how many there are;
    /// the ids stop at `limit`. Walks the write model in pages of `pageSize` ids.
    func missingOrders(limit: Int, pageSize: Int = 10_000) throws -> (count: Int, ids: [UUID]) {
        var after = "00000000-0000-0000-0000-000000000000"
        var count = 0
        var ids: [UUID] = []
        while true {
            let page = try write.query(
                "SELECT id::text AS id FROM buy_order WHERE id > \(after)::uuid ORDER BY id LIMIT \(pageSize)"
            ).compactMap { $0["id"] }
            guard let last = page.last else { break }
            let missing = try read.query(
                """
                SELECT w.id::text AS id FROM unnest(\(page)::uuid[]) AS w(id)
                WHERE NOT EXISTS (SELECT 1 FROM buy_order r WHERE r.id = w.id) ORDER BY w.id
                """
            ).compactMap { $0["id"].flatMap(UUID.init(uuidString:)) }
            count += missing.count
            ids += missing.prefix(max(0, limit - ids.count))
            after = last
        }
        return (count, ids)
    }

    /// Copies every client and key of the write model into the read model (as their events would):
    /// fetch-buy-orders checks keys there. Returns how many clients and keys were copied.
    func rebuildAccess() throws -> (clients: Int, keys: Int) {
        let clients = try write.query("SELECT \(unsafeSQL: AccessEvent.Client.columns) FROM client").map(AccessEvent.Client.init(row:))
        let keys = try write.query("SELECT \(unsafeSQL: AccessEvent.Key.columns) FROM api_key").map(AccessEvent.Key.init(row:))
        try read.transaction([AccessProjection.upsert(clients: clients), AccessProjection.upsert(keys: keys)].compactMap { $0 })
        return (clients.count, keys.count)
    }

    /// Copies every order of the write model into the read model in sequence order, overwriting
    /// what the read model holds for it. Upserts are idempotent, so the live consumer stays correct
    /// while this runs. Returns the orders copied.
    func rebuild(batchSize: Int = 5000, progress: (Int) -> Void = { _ in }) throws -> Int {
        var after: Int64 = 0
        var copied = 0
        while true {
            let rows = try write.query(
                prepared: """
                    SELECT \(unsafeSQL: StoredBuyOrder.columns) FROM buy_order o WHERE o.sequence > \(after)
                    ORDER BY o.sequence LIMIT \(batchSize)
                    """)
            if rows.isEmpty { break }
            let orders = try rows.map(StoredBuyOrder.init(row:))
            try read.transaction([ReadModelStore.upsert(orders, refresh: true)!])
            after = orders.last!.sequence
            copied += orders.count
            progress(copied)
        }
        return copied
    }
}
