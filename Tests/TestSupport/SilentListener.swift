import Foundation

/// A TCP port on 127.0.0.1 that completes connections but never reads or answers: a database host that
/// went silent, where every connect waits for its timeout.
public final class SilentListener: Sendable {
    public let port: Int
    private let socket: Int32

    public init() throws {
        guard let (socket, port) = LoopbackSocket.listening(backlog: 1024) else { throw ListenFailed() }
        self.socket = socket
        self.port = port
    }

    deinit {
        close(socket)
    }

    struct ListenFailed: Error, CustomStringConvertible {
        var description: String { "could not listen on 127.0.0.1" }
    }
}
