import Core
import Foundation

/// The write model's SQL for orders: one transaction per batch that locks the BTC total, reads earlier
/// orders for the batch's keys, and inserts the new orders, their keys and their outbox events.
struct OrderStore: Sendable {
    /// The NOTIFY channel a commit with new outbox rows signals.
    static let outboxChannel = "buy_order_outbox"

    /// Runs one batch in one transaction; blocking, on a pool thread.
    func write(_ requests: [(request: OrderRequest, quote: Quote?)], on connection: PostgresConnection) throws
        -> [OrderOutcome]
    {
        try connection.transaction { connection in
            let (total, limit) = try lockTotal(connection)
            let existing = try existingOrders(for: requests.map(\.request), on: connection)
            let decisions = OrderBatch.decide(requests, existing: existing, total: total, limit: limit)
            let newOrders = decisions.compactMap { decision -> OrderBatch.NewOrder? in
                if case .create(let order) = decision { return order }
                return nil
            }
            let stored = try insert(newOrders, on: connection)
            return decisions.enumerated().map { index, decision in
                switch decision {
                case .create: .created(stored[index]!)
                case .replayNew(let first): .replayed(stored[first]!)
                case .replay(let order): .replayed(order)
                case .keyReused: .keyReused
                case .limitExceeded(let available): .limitExceeded(available: available)
                case .noFreshQuote: .noFreshQuote
                }
            }
        }
    }

    // MARK: - Statements

    private func lockTotal(_ connection: PostgresConnection) throws -> (total: BTCAmount, limit: BTCAmount) {
        let row = try connection.query(prepared: "SELECT total::text, limit_btc::text FROM btc_total FOR UPDATE").first
        guard let row, let total = BTCAmount(parsing: try row.text("total")),
            let limit = BTCAmount(parsing: try row.text("limit_btc"))
        else { throw PostgresError(code: .other, message: "btc_total has no readable row") }
        return (total, limit)
    }

    private func existingOrders(for requests: [OrderRequest], on connection: PostgresConnection) throws
        -> [OrderBatch.Key: OrderBatch.Existing]
    {
        let rows = try connection.query(
            prepared: """
                SELECT k.key::text AS key, k.fingerprint, \(unsafeSQL: StoredBuyOrder.columns)
                FROM idempotency_key k JOIN buy_order o ON o.id = k.buy_order_id
                WHERE (k.client_id, k.key) IN (SELECT * FROM unnest(\(requests.map(\.clientID))::text[], \(requests.map(\.idempotencyKey))::uuid[]))
                """)
        var existing: [OrderBatch.Key: OrderBatch.Existing] = [:]
        for row in rows {
            let order = try StoredBuyOrder(row: row)
            guard let key = UUID(uuidString: try row.text("key")) else { continue }
            existing[OrderBatch.Key(clientID: order.clientID, key: key)] = OrderBatch.Existing(
                fingerprint: try row.text("fingerprint"), order: order)
        }
        return existing
    }

    /// Inserts the orders, their keys and events; returns each stored order by its batch index.
    private func insert(_ orders: [OrderBatch.NewOrder], on connection: PostgresConnection) throws -> [Int: StoredBuyOrder] {
        guard !orders.isEmpty else { return [:] }
        let rows = try connection.query(
            prepared: """
                WITH new_orders AS (
                    INSERT INTO buy_order AS o (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at)
                    SELECT * FROM unnest(\(orders.map(\.id))::uuid[], \(orders.map(\.request.clientID))::text[],
                        \(orders.map(\.request.currency.code))::text[], \(orders.map(\.request.amount.description))::numeric[],
                        \(orders.map(\.quote.rate.description))::numeric[], \(orders.map(\.btcAmount.description))::numeric[],
                        \(orders.map(\.quote.source))::text[], \(orders.map(\.quote.quotedAtText))::timestamptz[])
                    RETURNING \(unsafeSQL: StoredBuyOrder.columns)
                ), keys AS (
                    INSERT INTO idempotency_key (client_id, key, fingerprint, buy_order_id)
                    SELECT * FROM unnest(\(orders.map(\.request.clientID))::text[], \(orders.map(\.request.idempotencyKey))::uuid[],
                        \(orders.map(\.request.fingerprint))::text[], \(orders.map(\.id))::uuid[])
                )
                SELECT * FROM new_orders
                """)
        var byID: [UUID: StoredBuyOrder] = [:]
        for row in rows {
            let order = try StoredBuyOrder(row: row)
            byID[order.id] = order
        }
        var stored: [Int: StoredBuyOrder] = [:]
        var events: [BuyOrderCreatedEvent] = []
        for order in orders {
            guard let row = byID[order.id] else {
                throw PostgresError(code: .other, message: "order \(order.id) was not returned by its insert")
            }
            stored[order.index] = row
            events.append(BuyOrderCreatedEvent(order: row))
        }
        try connection.query(
            prepared: """
                INSERT INTO outbox (event_id, client_id, routing_key, payload)
                SELECT * FROM unnest(\(events.map(\.eventID))::uuid[], \(events.map(\.order.clientID))::text[],
                    \(events.map { _ in BuyOrderCreatedEvent.routingKey })::text[], \(events.map { String(decoding: $0.json, as: UTF8.self) })::json[])
                """)
        // Delivered at commit: wakes the outbox relay of every instance.
        try connection.query(prepared: "SELECT pg_notify(\(OrderStore.outboxChannel), '')")
        return stored
    }
}
