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
        var errors: [Problem.FieldError] = []
        func single(_ name: Substring, _ message: String, _ parse: (Substring) -> Bool) {
            let values = query[values: name]
            if values.count > 1 {
                errors.append(.init(field: String(name), message: "must be given at most once"))
            } else if let value = values.first, !parse(value) {
                errors.append(.init(field: String(name), message: message))
            }
        }
        single("page_size", "must be an integer from 1 to 100") { text in
            guard text.utf8.count <= 3, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let size = Int(text),
                PageRequest.pageSizes.contains(size)
            else { return false }
            pageSize = size
            return true
        }
        single("last_reference", "must be the id (a UUID) of the last event of the previous page") { text in
            lastReference = UUID(text: text)
            return lastReference != nil
        }
        let named = query[values: "type"].flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        if named.contains(where: { !Self.types.contains(String($0)) }) {
            errors.append(.init(field: "type", message: "must be one or more of \(Self.types.joined(separator: ", "))"))
        } else {
            types = Array(Set(named.map(String.init))).sorted()
        }
        let timestamp = "must be an RFC 3339 timestamp such as 2026-11-23T19:49:44Z"
        single("from", timestamp) { text in
            from = RFC3339Timestamp(parsing: text)
            return from != nil
        }
        single("to", timestamp) { text in
            to = RFC3339Timestamp(parsing: text)
            return to != nil
        }
        if let from, let to, from >= to {
            errors.append(.init(field: "to", message: "must be later than from"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }
}
