import Core
import NIOCore

/// The Server-Sent Events text of the stream (WHATWG HTML, "Server-sent events"): UTF-8 lines, each
/// block ending with an empty line. Values here never hold a line break.
enum EventStreamFrame {
    /// `id: <position>`, `event: buy_order`, `data: <the order as GET /buy_orders/{id} renders it>`.
    static func order(_ order: StreamedOrder) -> ByteBuffer {
        var text = "id: \(order.position)\nevent: buy_order\ndata: "
        text.reserveCapacity(300)
        order.order.write(into: &text)
        text += "\n\n"
        return ByteBuffer(string: text)
    }

    /// The first block: a comment naming the stream, the reconnection delay and, for a stream that starts
    /// now, its position (an `id:` without data sets the client's last event id and dispatches nothing).
    static func opening(client: String, retry: Duration, start: StreamPosition?) -> ByteBuffer {
        var text = ": buy orders of client \(client)\n"
        text += "retry: \(retry.components.seconds * 1000 + retry.components.attoseconds / 1_000_000_000_000_000)\n"
        if let start { text += "id: \(start)\n" }
        return ByteBuffer(string: text + "\n")
    }

    /// A comment line, with the position the stream has passed when it moved since the last `id:`, so a
    /// client that resumes later starts there (also when its filter let nothing through).
    static func heartbeat(passed position: StreamPosition?) -> ByteBuffer {
        ByteBuffer(string: ": keep-alive\n" + (position.map { "id: \($0)\n" } ?? "") + "\n")
    }

    static let shutdown = ByteBuffer(string: ": the server is shutting down; reconnect with Last-Event-ID to resume\n\n")
}
