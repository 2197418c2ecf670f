import Core
import HummingbirdCore

/// The query and headers of `GET /v1/buy_orders/stream`, validated: every bad one is a field error.
struct StreamRequest: Sendable, Equatable {
    var currency: Currency?
    /// Where the stream resumes: after this position.
    var resume: StreamPosition?

    init(currency: Currency? = nil, resume: StreamPosition? = nil) {
        self.currency = currency
        self.resume = resume
    }

    /// The `Last-Event-ID` header wins over the `last_event_id` parameter: a browser's EventSource
    /// reconnects to the same URL with a newer header.
    init(query: FlatDictionary<Substring, Substring>, lastEventID header: String?) throws(Problem) {
        var errors: [Problem.FieldError] = []
        let position = "must be the id of an event of this stream (as sent in id:)"
        let currencies = query[values: "currency"]
        if currencies.count > 1 {
            errors.append(.init(field: "currency", message: "must be given at most once"))
        } else if let text = currencies.first {
            currency = Currency(code: String(text))
            if currency == nil { errors.append(.init(field: "currency", message: "must be one of \(Currency.codes)")) }
        }
        let parameters = query[values: "last_event_id"]
        if parameters.count > 1 {
            errors.append(.init(field: "last_event_id", message: "must be given at most once"))
        } else if let text = parameters.first, !text.isEmpty {
            resume = StreamPosition(text: text)
            if resume == nil { errors.append(.init(field: "last_event_id", message: position)) }
        }
        if let header, !header.isEmpty {
            resume = StreamPosition(text: header)
            if resume == nil { errors.append(.init(field: "Last-Event-ID", message: position)) }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }
}
