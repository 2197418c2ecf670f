import Foundation

/// A TCP port on 127.0.0.1 that completes connections but never reads or answers: a database host that
/// went silent, where every connect waits for its timeout.
public final class SilentListener: Sendable {
    public let port: Int
    private let socket: Int32

    public init() throws {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && listen(socket, 1024) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard listening else {
            close(socket)
            throw ListenFailed()
        }
        self.socket = socket
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(socket)
    }

    struct ListenFailed: Error, CustomStringConvertible {
        var description: String { "could not listen on 127.0.0.1" }
    }
}
