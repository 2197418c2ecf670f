import Core
import Foundation

/// Applies events (orders, clients, keys, and every event's activity) to the read model in one transaction and, when that fails,
/// sorts out which of them failed for reasons of their own. Owns its database connection (one thread, reconnecting).
///
/// A failure about the database holds every event. A batch that fails otherwise is applied again one
/// event at a time: an event that fails with a data error (SQLSTATE 22, 23) is rejected; one that fails
/// with an unclear error is rejected only if another event of the batch was applied, else held.
final class EventApplier {
    struct Report {
        /// Indexes of the events now in the read model.
        var applied: [Int] = []
        /// How many of the orders among them were new (the rest were duplicates).
        var inserted = 0
        /// Events that can never be applied, with the reason.
        var rejected: [(index: Int, reason: String)] = []
        /// Events to try again later, and why.
        var held: [Int] = []
        var holdReason: (key: String, detail: String)?
    }

    private let database: DatabaseSettings
    private var connection: PostgresConnection?

    init(database: DatabaseSettings) {
        self.database = database
    }

    func apply(_ orders: [ProjectedEvent]) -> Report {
        var report = Report()
        guard !orders.isEmpty else { return report }
        let error: any Error
        switch upsert(orders) {
        case .success(let inserted):
            report.applied = Array(orders.indices)
            report.inserted = inserted
            return report
        case .failure(let failure):
            error = failure
        }
        let failure = ApplyFailure(error)
        if failure == .database || (orders.count == 1 && failure == .unclear) {
            report.hold(Array(orders.indices), because: error)
            return report
        }
        if orders.count == 1 {
            report.rejected = [(0, Self.reason(error))]
            return report
        }
        // One at a time, to find the orders that fail on their own.
        var unclear: [(index: Int, error: any Error)] = []
        for (index, order) in orders.enumerated() {
            switch upsert([order]) {
            case .success(let inserted):
                report.applied.append(index)
                report.inserted += inserted
            case .failure(let error):
                switch ApplyFailure(error) {
                case .message:
                    report.rejected.append((index, Self.reason(error)))
                case .unclear:
                    unclear.append((index, error))
                case .database:
                    report.hold(Array(index..<orders.count) + unclear.map(\.index), because: error)
                    return report
                }
            }
        }
        if report.applied.isEmpty {
            if let first = unclear.first { report.hold(unclear.map(\.index), because: first.error) }
        } else {
            report.rejected += unclear.map { ($0.index, "failed alone while other events applied: " + Self.reason($0.error)) }
        }
        return report
    }

    /// Returns how many orders were new.
    private func upsert(_ events: [ProjectedEvent]) -> Result<Int, any Error> {
        do {
            if connection == nil { connection = try PostgresConnection(settings: database) }
            var (clients, keys): ([AccessEvent.Client], [AccessEvent.Key]) = ([], [])
            for case .client(let client) in events.map(\.change) { clients.append(client) }
            for case .key(let key) in events.map(\.change) { keys.append(key) }
            let orders = ReadModelStore.upsert(events.compactMap(\.order))
            // One round trip: at a low rate every event is a transaction of its own.
            let rows = try connection!.transaction(
                [
                    ActivityProjection.insert(events.map(\.activity)), AccessProjection.upsert(clients: clients),
                    AccessProjection.upsert(keys: keys), orders,
                ].compactMap { $0 })
            return .success(try orders == nil ? 0 : ReadModelStore.inserted(rows.last!))
        } catch {
            if connection?.isReusable != true { connection = nil }
            return .failure(error)
        }
    }

    private static func reason(_ error: any Error) -> String {
        "the read model refused it: " + ((error as? PostgresError)?.debugDescription ?? "\(error)")
    }
}

extension EventApplier.Report {
    fileprivate mutating func hold(_ indexes: [Int], because error: any Error) {
        held = indexes.sorted()
        let postgres = error as? PostgresError
        holdReason = (postgres?.holdingReason ?? "\(error)", postgres?.debugDescription ?? "\(error)")
    }
}
