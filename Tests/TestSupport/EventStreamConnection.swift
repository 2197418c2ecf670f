import Foundation

/// A Server-Sent Events client over one `RawHTTPConnection`, as a test needs it: it sends the GET,
/// reads the head, decodes the chunked body and splits it into event blocks, and tells a clean end
/// (the body's last chunk) from a connection the server cut. Used by one task at a time.
public final class EventStreamConnection: @unchecked Sendable {
    /// One block of the stream: its fields, and its comment lines.
    public struct Event: Sendable, Equatable {
        public var id: String?
        public var event: String?
        public var data: String?
        public var retry: String?
        public var comments: [String] = []
    }

    public enum Ending: Sendable, Equatable {
        /// The body's last chunk arrived.
        case clean
        /// The connection closed before it.
        case cut
    }

    public let connection: RawHTTPConnection
    public let status: Int
    public let headers: [String: String]
    /// A body that is not a stream (a problem), when the server answered with one.
    public private(set) var body = ""
    public private(set) var ending: Ending?
    private var chunked: [UInt8] = []
    private var text: [UInt8] = []
    /// Where the next block begins in `text`, and how far it was searched for its end.
    private var start = 0
    private var scanned = 0

    private init(connection: RawHTTPConnection, status: Int, headers: [String: String]) {
        self.connection = connection
        self.status = status
        self.headers = headers
    }

    /// GETs `path` with `headers` (`Name: value` lines). A status that is not 200 keeps its body in `body`.
    public static func open(
        port: Int, path: String, headers: [String] = [], receiveBuffer: Int32? = nil
    ) async throws -> EventStreamConnection {
        let connection = try await RawHTTPConnection.open(port: port, receiveBuffer: receiveBuffer)
        let lines = (["GET \(path) HTTP/1.1", "Host: localhost", "Accept: text/event-stream"] + headers).joined(separator: "\r\n")
        try await connection.send(lines + "\r\n\r\n")
        let head = try await connection.head()
        let stream = EventStreamConnection(connection: connection, status: head.status, headers: head.headers)
        if head.status != 200, let length = Int(head.headers["content-length"] ?? "") {
            var body: [UInt8] = []
            while body.count < length { body += try await connection.bytes(within: .seconds(10)) }
            stream.body = String(decoding: body, as: UTF8.self)
        }
        return stream
    }

    /// The next block, waiting up to `limit`; nil once the stream ended (see `ending`).
    public func next(within limit: Duration = .seconds(30)) async throws -> Event? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let event = takeEvent() { return event }
            if ending != nil { return nil }
            let left = deadline - .now
            guard left > .zero else { throw RawHTTPConnection.Failure.timedOut }
            do {
                chunked += try await connection.bytes(within: left)
                decodeChunks()
            } catch RawHTTPConnection.Failure.closedByPeer {
                ending = ending ?? .cut
            }
        }
    }

    /// The next `count` `buy_order` events (comments and other blocks skipped), all within `limit`;
    /// fewer when the stream ends first.
    public func orders(_ count: Int, within limit: Duration = .seconds(60)) async throws -> [Event] {
        var events: [Event] = []
        let deadline = ContinuousClock.now + limit
        while events.count < count {
            guard let event = try await next(within: deadline - .now) else { break }
            if event.event == "buy_order" { events.append(event) }
        }
        return events
    }

    /// Reads until the stream ends, within `limit`; every block read on the way.
    public func rest(within limit: Duration) async throws -> [Event] {
        var events: [Event] = []
        let deadline = ContinuousClock.now + limit
        while let event = try await next(within: deadline - .now) { events.append(event) }
        return events
    }

    public func close() { connection.close() }

    // MARK: - Decoding

    private func decodeChunks() {
        let crlf: [UInt8] = [13, 10]
        while ending == nil, let lineEnd = chunked.firstRange(of: crlf) {
            let sizeText = String(decoding: chunked[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                ending = .cut
                return
            }
            let dataStart = lineEnd.upperBound
            guard chunked.count >= dataStart + size + 2 else { return }
            if size == 0 {
                ending = .clean
                return
            }
            text += chunked[dataStart..<(dataStart + size)]
            chunked.removeFirst(dataStart + size + 2)
        }
    }

    private func takeEvent() -> Event? {
        if start > 1 << 16 {
            text.removeFirst(start)
            scanned -= start
            start = 0
        }
        while scanned + 1 < text.count {
            if text[scanned] == 10 && text[scanned + 1] == 10 {
                let block = String(decoding: text[start..<scanned], as: UTF8.self)
                scanned += 2
                start = scanned
                return Self.parse(block)
            }
            scanned += 1
        }
        return nil
    }

    static func parse(_ block: String) -> Event {
        var event = Event()
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                event.comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
                continue
            }
            let (name, value) =
                line.firstIndex(of: ":").map { (String(line[..<$0]), String(line[line.index(after: $0)...].drop { $0 == " " })) }
                ?? (String(line), "")
            switch name {
            case "id": event.id = value
            case "event": event.event = value
            case "data": event.data = event.data.map { $0 + "\n" + value } ?? value
            case "retry": event.retry = value
            default: break
            }
        }
        return event
    }
}

extension EventStreamConnection.Event {
    /// The `id` of the order in `data`.
    public var orderID: String? {
        guard let data, let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
        return object["id"] as? String
    }
}
