/// Splits a `text/event-stream` body into events (WHATWG HTML, "Server-sent events", the parsing and
/// dispatch rules): lines end with CR, LF or CRLF, also across chunks; `:` starts a comment; `id:`
/// sets the last event id even in a block without data (the server's heartbeats carry its position).
struct ServerSentEventParser: Sendable {
    struct Event: Sendable, Equatable {
        var type: String
        var data: String
        var id: String
    }

    /// The id to resume from: `Last-Event-ID` on the next connection.
    private(set) var lastEventID = ""
    private var line: [UInt8] = []
    private var afterCR = false
    private var isFirstLine = true
    private var type = ""
    private var data: [String] = []
    private var idBuffer = ""

    init(lastEventID: String = "") {
        self.lastEventID = lastEventID
        idBuffer = lastEventID
    }

    /// Feeds the next bytes; returns the events they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0D:
                afterCR = true
                if let event = endLine() { events.append(event) }
            case 0x0A:
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> Event? {
        var text = String(decoding: line, as: UTF8.self)
        line.removeAll(keepingCapacity: true)
        if isFirstLine {
            isFirstLine = false
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        }
        if text.isEmpty { return dispatch() }
        if text.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": type = String(value)
        case "data": data.append(String(value))
        case "id" where !value.contains("\u{0}"): idBuffer = String(value)
        default: break  // `retry` and unknown fields: the reconnection delay is this client's own
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        lastEventID = idBuffer
        defer {
            type = ""
            data = []
        }
        guard !data.isEmpty else { return nil }
        return Event(type: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"), id: lastEventID)
    }
}
