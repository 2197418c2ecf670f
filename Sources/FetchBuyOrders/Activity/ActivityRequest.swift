import Core
import Foundation
import HummingbirdCore

/// The query of `GET /v1/activity`, validated: every bad parameter is a field error, unknown ones are ignored.
struct ActivityRequest: Sendable, Equatable {
    /// The event types a client is shown (`limit.changed` is the operator's).
    static let types = [
        "api_key.created", "api_key.revoked", "buy_order.created", "client.created", "client.rate_limit_changed",
        "quote.created",
    ]

    var pageSize = PageRequest.defaultPageSize
    /// The id of the last event of the previous page.
    var lastReference: UUID?
    /// Only these types, sorted and unique; empty for every type.
    var types: [String] = []
    /// Inclusive lower bound on `occurred_at`.
    var from: RFC3339Timestamp?
    /// Exclusive upper bound on `occurred_at`.
    var to: RFC3339Timestamp?

    init(
        pageSize: Int = PageRequest.defaultPageSize, lastReference: UUID? = nil, types: [String] = [],
        from: RFC3339Timestamp? = nil, to: RFC3339Timestamp? = nil
    ) {
        self.pageSize = pageSize
        self.lastReference = lastReference
        self.types = Array(Set(types)).sorted()
        self.from = from
        self.to = to
    }

    /// Reads the parameters, throwing one 422 problem that names every bad one. `type` may be repeated
    /// and may hold a comma-separated list; all of them together are the filter.
    init(query: FlatDictionary<Substring, Substring>) throws(Problem) {
        var reader = QueryReader(query)
        pageSize = reader.pageSize()
        lastReference = reader.lastReference(of: "event")
        let named = query[values: "type"].flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        if named.contains(where: { !Self.types.contains(String($0)) }) {
            reader.fail("type", "must be one or more of \(Self.types.joined(separator: ", "))")
        } else {
            types = Array(Set(named.map(String.init))).sorted()
        }
        (from, to) = reader.timeRange()
        try reader.finish()
    }
}
