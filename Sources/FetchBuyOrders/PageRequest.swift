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
                Self.pageSizes.contains(size)
            else { return false }
            pageSize = size
            return true
        }
        single("last_reference", "must be the id (a UUID) of the last order of the previous page") { text in
            lastReference = UUID(text: text)
            return lastReference != nil
        }
        single("currency", "must be one of \(Currency.codes)") { text in
            currency = Currency(code: String(text))
            return currency != nil
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
