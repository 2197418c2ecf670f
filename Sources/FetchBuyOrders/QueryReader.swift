import Core
import Foundation
import HummingbirdCore

/// Reads a route's query parameters, collecting a field error for each bad one, so that one 422 names
/// them all (`finish()`); unknown parameters are ignored. The parameters the list routes share
/// (`page_size`, `last_reference`, `currency`, `from` and `to`) are read here once for all of them.
struct QueryReader {
    let query: FlatDictionary<Substring, Substring>
    private(set) var errors: [Problem.FieldError] = []

    init(_ query: FlatDictionary<Substring, Substring>) {
        self.query = query
    }

    /// A parameter given at most once: `parse` takes its value and says whether it is valid (else
    /// `message` names what it must be). Absent, `parse` is not called.
    mutating func single(_ name: Substring, _ message: String, _ parse: (Substring) -> Bool) {
        let values = query[values: name]
        if values.count > 1 {
            fail(String(name), "must be given at most once")
        } else if let value = values.first, !parse(value) {
            fail(String(name), message)
        }
    }

    mutating func fail(_ field: String, _ message: String) {
        errors.append(.init(field: field, message: message))
    }

    /// `page_size`, 1 to 100 digits-only, or the default.
    mutating func pageSize() -> Int {
        var pageSize = PageRequest.defaultPageSize
        single("page_size", "must be an integer from 1 to 100") { text in
            guard text.utf8.count <= 3, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let size = Int(text),
                PageRequest.pageSizes.contains(size)
            else { return false }
            pageSize = size
            return true
        }
        return pageSize
    }

    /// `last_reference`: the id of the last `row` ("order", "event") of the previous page.
    mutating func lastReference(of row: String) -> UUID? {
        var reference: UUID?
        single("last_reference", "must be the id (a UUID) of the last \(row) of the previous page") { text in
            reference = UUID(text: text)
            return reference != nil
        }
        return reference
    }

    mutating func currency() -> Currency? {
        var currency: Currency?
        single("currency", "must be one of \(Currency.codes)") { text in
            currency = Currency(code: String(text))
            return currency != nil
        }
        return currency
    }

    /// `from` (inclusive) and `to` (exclusive), RFC 3339; `to` must be later than `from`.
    mutating func timeRange() -> (from: RFC3339Timestamp?, to: RFC3339Timestamp?) {
        var from: RFC3339Timestamp?
        var to: RFC3339Timestamp?
        let timestamp = "must be an RFC 3339 timestamp such as 2026-11-23T19:49:44Z"
        single("from", timestamp) { text in
            from = RFC3339Timestamp(parsing: text)
            return from != nil
        }
        single("to", timestamp) { text in
            to = RFC3339Timestamp(parsing: text)
            return to != nil
        }
        if let from, let to, from >= to { fail("to", "must be later than from") }
        return (from, to)
    }

    /// Throws one 422 problem naming every bad parameter, if there was one.
    func finish() throws(Problem) {
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }
}
