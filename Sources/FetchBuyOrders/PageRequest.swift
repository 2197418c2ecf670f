import Core
import Foundation
import HummingbirdCore

/// The query of `GET /buy_orders`, validated: every bad parameter is a field error, unknown ones are ignored.
struct PageRequest: Sendable, Equatable {
    static let defaultPageSize = 10
    static let pageSizes = 1...100

    var pageSize = defaultPageSize
    /// The id of the last order of the previous page.
    var lastReference: UUID?
    var currency: Currency?
    /// Inclusive lower bound on `created_at`.
    var from: RFC3339Timestamp?
    /// Exclusive upper bound on `created_at`.
    var to: RFC3339Timestamp?

    init(
        pageSize: Int = defaultPageSize, lastReference: UUID? = nil, currency: Currency? = nil,
        from: RFC3339Timestamp? = nil, to: RFC3339Timestamp? = nil
    ) {
        self.pageSize = pageSize
        self.lastReference = lastReference
        self.currency = currency
        self.from = from
        self.to = to
    }

    /// Reads the parameters, throwing one 422 problem that names every bad one.
    init(query: FlatDictionary<Substring, Substring>) throws(Problem) {
        var reader = QueryReader(query)
        pageSize = reader.pageSize()
        lastReference = reader.lastReference(of: "order")
        currency = reader.currency()
        (from, to) = reader.timeRange()
        try reader.finish()
    }
}
