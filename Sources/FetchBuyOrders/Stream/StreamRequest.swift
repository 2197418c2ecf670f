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
        var reader = QueryReader(query)
        let position = "must be the id of an event of this stream (as sent in id:)"
        currency = reader.currency()
        var resume: StreamPosition?
        reader.single("last_event_id", position) { text in
            guard !text.isEmpty else { return true }
            resume = StreamPosition(text: text)
            return resume != nil
        }
        if let header, !header.isEmpty {
            resume = StreamPosition(text: header)
            if resume == nil { reader.fail("Last-Event-ID", position) }
        }
        self.resume = resume
        try reader.finish()
    }
}
