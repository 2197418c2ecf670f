import Core
import Foundation

/// Decides, without I/O, what happens to each request of a batch, given what the database holds
/// under the lock of the BTC total: earlier orders for the batch's keys, the total and the limit.
///
/// Requests are taken in arrival order; a key repeated inside the batch replays (or conflicts with)
/// its first use, exactly as if it had been stored already.
struct OrderBatch {
    /// A new order to insert, and the request it answers.
    struct NewOrder: Equatable {
        let index: Int
        let id: UUID
        let request: OrderRequest
        let quote: Quote
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

    static func decide(
        _ requests: [(request: OrderRequest, quote: Quote?)], existing: [Key: Existing], total: BTCAmount,
        limit: BTCAmount, newID: () -> UUID = UUID.init
    ) -> [Decision] {
        var total = total
        var firstUse: [Key: (fingerprint: String, index: Int)] = [:]
        var decisions: [Decision] = []
        decisions.reserveCapacity(requests.count)
        for (index, (request, quote)) in requests.enumerated() {
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
                    decisions.append(decideNew(request, quote, index: index, total: &total, limit: limit, newID: newID))
                    if case .create = decisions[index] { firstUse[key] = (request.fingerprint, index) }
                }
                continue
            }
            decisions.append(decideNew(request, quote, index: index, total: &total, limit: limit, newID: newID))
            firstUse[key] = (request.fingerprint, index)
        }
        return decisions
    }

    private static func decideNew(
        _ request: OrderRequest, _ quote: Quote?, index: Int, total: inout BTCAmount, limit: BTCAmount,
        newID: () -> UUID
    ) -> Decision {
        guard let quote else { return .noFreshQuote }
        let btc = BTCAmount(buying: request.amount, at: quote.rate)
        guard total + btc <= limit else { return .limitExceeded(available: limit - total) }
        total = total + btc
        return .create(NewOrder(index: index, id: newID(), request: request, quote: quote, btcAmount: btc))
    }
}
