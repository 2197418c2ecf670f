import Core
import Foundation

/// Decides, without I/O, what happens to each request of a batch, given what the database holds
/// under the lock of the BTC total: earlier orders for the batch's keys, the quotes the batch names,
/// the total and the limit.
///
/// Requests are taken in arrival order; a key repeated inside the batch replays (or conflicts with)
/// its first use, exactly as if it had been stored already, and a quote used by one request of the
/// batch is used for the requests after it.
struct OrderBatch {
    /// A new order to insert, the request it answers, and the rate it takes.
    struct NewOrder: Equatable {
        let index: Int
        let id: UUID
        let request: OrderRequest
        let rate: ExchangeRate
        let rateSource: String
        /// RFC 3339, when the price source gave the rate.
        let rateQuotedAt: String
        let btcAmount: BTCAmount
    }

    enum Decision: Equatable {
        case create(NewOrder)
        /// Same payload as the new order at `index` in this batch.
        case replayNew(index: Int)
        case replay(StoredBuyOrder)
        case keyReused
        case limitExceeded(available: BTCAmount)
        case noFreshQuote
        case quoteRefused(QuoteRefusal)
        case quoteUsed
        case quoteExpired(expiresAt: String)
    }

    struct Key: Hashable {
        let clientID: String
        let key: UUID
    }

    /// An order stored earlier for a key, with the fingerprint of its request.
    struct Existing {
        let fingerprint: String
        let order: StoredBuyOrder
    }

    /// What the batch's new orders have taken so far.
    private struct Ledger {
        var total: BTCAmount
        let limit: BTCAmount
        var usedQuotes: Set<UUID> = []
    }

    static func decide(
        _ requests: [(request: OrderRequest, price: Price?)], existing: [Key: Existing], quotes: [UUID: HeldQuote] = [:],
        total: BTCAmount, limit: BTCAmount, newID: () -> UUID = UUID.init
    ) -> [Decision] {
        var ledger = Ledger(total: total, limit: limit)
        var firstUse: [Key: (fingerprint: String, index: Int)] = [:]
        var decisions: [Decision] = []
        decisions.reserveCapacity(requests.count)
        for (index, (request, price)) in requests.enumerated() {
            let key = Key(clientID: request.clientID, key: request.idempotencyKey)
            if let stored = existing[key] {
                decisions.append(stored.fingerprint == request.fingerprint ? .replay(stored.order) : .keyReused)
                continue
            }
            if let first = firstUse[key] {
                switch decisions[first.index] {
                case .create where first.fingerprint == request.fingerprint:
                    decisions.append(.replayNew(index: first.index))
                case .create:
                    decisions.append(.keyReused)
                default:
                    // The first use was refused, so nothing is stored for the key: decide this one afresh.
                    decisions.append(decideNew(request, price, quotes, index: index, ledger: &ledger, newID: newID))
                    if case .create = decisions[index] { firstUse[key] = (request.fingerprint, index) }
                }
                continue
            }
            decisions.append(decideNew(request, price, quotes, index: index, ledger: &ledger, newID: newID))
            firstUse[key] = (request.fingerprint, index)
        }
        return decisions
    }

    private static func decideNew(
        _ request: OrderRequest, _ price: Price?, _ quotes: [UUID: HeldQuote], index: Int, ledger: inout Ledger,
        newID: () -> UUID
    ) -> Decision {
        let rate: ExchangeRate
        let source: String
        let quotedAt: String
        if let quoteID = request.quoteID {
            guard let quote = quotes[quoteID], quote.clientID == request.clientID else { return .quoteRefused(.unknown) }
            guard quote.currency == request.currency else { return .quoteRefused(.otherCurrency(quote.currency)) }
            guard !quote.isUsed, !ledger.usedQuotes.contains(quoteID) else { return .quoteUsed }
            guard quote.isLive else { return .quoteExpired(expiresAt: quote.expiresAt) }
            (rate, source, quotedAt) = (quote.rate, quote.source, quote.rateQuotedAt)
        } else {
            guard let price else { return .noFreshQuote }
            (rate, source, quotedAt) = (price.rate, price.source, price.quotedAtText)
        }
        let btc = BTCAmount(buying: request.amount, at: rate)
        guard ledger.total + btc <= ledger.limit else { return .limitExceeded(available: ledger.limit - ledger.total) }
        ledger.total = ledger.total + btc
        if let quoteID = request.quoteID { ledger.usedQuotes.insert(quoteID) }
        return .create(
            NewOrder(
                index: index, id: newID(), request: request, rate: rate, rateSource: source, rateQuotedAt: quotedAt,
                btcAmount: btc))
    }
}
