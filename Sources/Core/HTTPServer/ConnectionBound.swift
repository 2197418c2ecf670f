import HummingbirdCore
import Logging

/// Hummingbird's bound on open connections (`MaximumAvailableConnections`: at the bound the server
/// stops accepting, so further connections wait in the kernel's listen backlog until one closes),
/// with one log line each time the bound is reached and each time the server accepts again. NIO
/// accepts up to four connections per wake-up, so a burst can pass the bound by three.
struct ConnectionBound: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0
    private var isFull = false

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if !isFull, open >= maximum {
            isFull = true
            logger.warning(
                "connection limit reached; new connections wait until one closes",
                metadata: ["http.connections": "\(open)", "http.max_connections": "\(maximum)"])
        }
    }

    mutating func connectionClosed() {
        open -= 1
        if isFull, open < maximum {
            isFull = false
            logger.info(
                "accepting connections again",
                metadata: ["http.connections": "\(open)", "http.max_connections": "\(maximum)"])
        }
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
