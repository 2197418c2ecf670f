import Core
import Foundation

/// Applies orders to the read model in one transaction and, when that fails, sorts out which of
/// them failed for reasons of their own. Owns its database connection (one thread, reconnecting).
///
/// A failure about the database holds every order. A batch that fails otherwise is applied again one
/// order at a time: an order that fails with a data error (SQLSTATE 22, 23) is rejected; one that fails
/// with an unclear error is rejected only if another order of the batch was applied, else held.
final class EventApplier {
    struct Report {
        /// Indexes of the orders now in the read model.
        var applied: [Int] = []
        /// How many of them were new (the rest were duplicates).
        var inserted = 0
        /// Orders that can never be applied, with the reason.
        var rejected: [(index: Int, reason: String)] = []
        /// Orders to try again later, and why.
        var held: [Int] = []
        var holdReason: (key: String, detail: String)?
    }

    private let database: DatabaseSettings
    private var connection: PostgresConnection?

    init(database: DatabaseSettings) {
        self.database = database
    }

    func apply(_ orders: [StoredBuyOrder]) -> Report {
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

    private func upsert(_ orders: [StoredBuyOrder]) -> Result<Int, any Error> {
        do {
            if connection == nil { connection = try PostgresConnection(settings: database) }
            return .success(try connection!.transaction { try ReadModelStore.upsert(orders, on: $0) })
        } catch {
            if connection?.isIdle != true { connection = nil }
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
