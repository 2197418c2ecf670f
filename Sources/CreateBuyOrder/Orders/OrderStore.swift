import Core
import Foundation

/// The write model's SQL for orders: one transaction per batch, in two round trips while the BTC
/// total is locked. The first locks the total and reads earlier orders for the batch's keys (and the
/// quotes it names, if any); the second inserts the new orders, their keys and their outbox rows,
/// signals the relay and commits. Every order's transaction holds that lock, so a quote read here is
/// used by no transaction but this one until it commits.
///
/// A connection lost in the first round trip stored nothing (a `PostgresError`, safe to retry); lost in
/// the second, it may have committed (`CommitOutcomeUnknown`).
struct OrderStore: Sendable {
    /// The NOTIFY channel a commit with new outbox rows signals.
    static let outboxChannel = "buy_order_outbox"

    /// Runs one batch in one transaction; blocking, on a pool thread.
    func write(_ requests: [(request: OrderRequest, price: Price?)], on connection: PostgresConnection) throws
        -> [OrderOutcome]
    {
        do {
            let quoteIDs = requests.compactMap(\.request.quoteID)
            let opened = try connection.pipeline(
                [
                    "BEGIN", "SELECT total::text, limit_btc::text FROM btc_total FOR UPDATE",
                    existingOrdersQuery(for: requests.map(\.request)),
                ] + (quoteIDs.isEmpty ? [] : [HeldQuote.query(ids: quoteIDs)]))
            let (total, limit) = try totals(opened[1])
            let quotes = try quoteIDs.isEmpty ? [:] : heldQuotes(opened[3])
            let decisions = OrderBatch.decide(
                requests, existing: try existingOrders(opened[2]), quotes: quotes, total: total, limit: limit)
            let newOrders = decisions.compactMap { decision -> OrderBatch.NewOrder? in
                if case .create(let order) = decision { return order }
                return nil
            }
            guard !newOrders.isEmpty else {
                try connection.pipeline(["COMMIT"])
                return decisions.map { Self.outcome($0, stored: [:]) }
            }
            let closed: [PostgresRows]
            do {
                // The notification is delivered at commit: it wakes the outbox relay of every instance.
                closed = try connection.pipeline([
                    insertQuery(newOrders), "SELECT pg_notify(\(OrderStore.outboxChannel), '')", "COMMIT",
                ])
            } catch let error as PostgresError where error.code == .connectionLost {
                // COMMIT went out with the inserts: the server may have committed before the connection broke.
                throw CommitOutcomeUnknown(outcomes: decisions.map { Self.outcome($0, stored: nil) }, cause: error)
            }
            let stored = try storedOrders(closed[0], newOrders)
            return decisions.map { Self.outcome($0, stored: stored) }
        } catch {
            connection.rollback()
            throw error
        }
    }

    /// What a decision answers, given the orders this batch stored by index (nil: unknown whether it did).
    private static func outcome(_ decision: OrderBatch.Decision, stored: [Int: StoredBuyOrder]?) -> OrderOutcome {
        switch decision {
        case .create(let order): stored.map { .created($0[order.index]!) } ?? .outcomeUnknown
        case .replayNew(let first): stored.map { .replayed($0[first]!) } ?? .outcomeUnknown
        case .replay(let order): .replayed(order)
        case .keyReused: .keyReused
        case .limitExceeded(let available): .limitExceeded(available: available)
        case .noFreshQuote: .noFreshQuote
        case .quoteRefused(let reason): .quoteRefused(reason)
        case .quoteUsed: .quoteUsed
        case .quoteExpired(let expiresAt): .quoteExpired(expiresAt: expiresAt)
        }
    }

    // MARK: - Statements

    private func totals(_ rows: PostgresRows) throws -> (total: BTCAmount, limit: BTCAmount) {
        guard let row = rows.first, let total = BTCAmount(parsing: try row.text("total")),
            let limit = BTCAmount(parsing: try row.text("limit_btc"))
        else { throw PostgresError(code: .other, message: "btc_total has no readable row") }
        return (total, limit)
    }

    /// One primary-key probe per requested key. `LIMIT 1` (the key is the primary key) keeps each probe
    /// a nested-loop index scan: as a plain join, the plan cached on a fresh, empty table was a
    /// sequential scan of every key, run once per batch for the connection's lifetime.
    func existingOrdersQuery(for requests: [OrderRequest]) -> PostgresQuery {
        """
        SELECT k.key::text AS key, k.fingerprint, \(unsafeSQL: StoredBuyOrder.columns)
        FROM unnest(\(requests.map(\.clientID))::text[], \(requests.map(\.idempotencyKey))::uuid[]) AS r (client_id, key)
        CROSS JOIN LATERAL (
            SELECT * FROM idempotency_key k WHERE k.client_id = r.client_id AND k.key = r.key LIMIT 1
        ) k
        JOIN buy_order o ON o.id = k.buy_order_id
        """
    }

    private func existingOrders(_ rows: PostgresRows) throws -> [OrderBatch.Key: OrderBatch.Existing] {
        var existing: [OrderBatch.Key: OrderBatch.Existing] = [:]
        for row in rows {
            let order = try StoredBuyOrder(row: row)
            guard let key = UUID(text: try row.text("key")) else { continue }
            existing[OrderBatch.Key(clientID: order.clientID, key: key)] = OrderBatch.Existing(
                fingerprint: try row.text("fingerprint"), order: order)
        }
        return existing
    }

    private func heldQuotes(_ rows: PostgresRows) throws -> [UUID: HeldQuote] {
        var quotes: [UUID: HeldQuote] = [:]
        for row in rows {
            let quote = try HeldQuote(row: row)
            quotes[quote.id] = quote
        }
        return quotes
    }

    /// Inserts the orders, their keys and their outbox rows (which reference the order: the relay
    /// renders the event when it publishes), returning the stored orders. Each column is bound once.
    private func insertQuery(_ orders: [OrderBatch.NewOrder]) -> PostgresQuery {
        """
        WITH input AS (
            SELECT * FROM unnest(\(orders.map(\.id))::uuid[], \(orders.map(\.request.clientID))::text[],
                \(orders.map(\.request.currency.code))::text[], \(orders.map(\.request.amount.description))::numeric[],
                \(orders.map(\.rate.description))::numeric[], \(orders.map(\.btcAmount.description))::numeric[],
                \(orders.map(\.rateSource))::text[], \(orders.map(\.rateQuotedAt))::timestamptz[],
                \(orders.map(\.request.idempotencyKey))::uuid[], \(orders.map(\.request.fingerprint))::text[],
                \(orders.map { _ in UUID.random() })::uuid[], \(orders.map { $0.request.quoteID?.lowercaseText ?? "" })::text[])
                AS i (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at,
                      key, fingerprint, event_id, quote)
        ), new_orders AS (
            INSERT INTO buy_order AS o (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at, quote_id)
            SELECT id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at,
                nullif(quote, '')::uuid FROM input
            RETURNING \(unsafeSQL: StoredBuyOrder.columns)
        ), keys AS (
            INSERT INTO idempotency_key (client_id, key, fingerprint, buy_order_id)
            SELECT client_id, key, fingerprint, id FROM input
        ), events AS (
            INSERT INTO outbox (event_id, client_id, routing_key, buy_order_id)
            SELECT event_id, client_id, \(BuyOrderCreatedEvent.routingKey), id FROM input
        )
        SELECT * FROM new_orders
        """
    }

    /// Each stored order by its batch index.
    private func storedOrders(_ rows: PostgresRows, _ orders: [OrderBatch.NewOrder]) throws -> [Int: StoredBuyOrder] {
        var byID: [UUID: StoredBuyOrder] = [:]
        for row in rows {
            let order = try StoredBuyOrder(row: row)
            byID[order.id] = order
        }
        var stored: [Int: StoredBuyOrder] = [:]
        for order in orders {
            guard let row = byID[order.id] else {
                throw PostgresError(code: .other, message: "order \(order.id) was not returned by its insert")
            }
            stored[order.index] = row
        }
        return stored
    }
}

/// The connection broke in the round trip that carried COMMIT: the batch's new orders may or may not be
/// stored. `outcomes` holds `.outcomeUnknown` for them, and the known outcome of every other request.
struct CommitOutcomeUnknown: Error {
    let outcomes: [OrderOutcome]
    let cause: PostgresError
}
