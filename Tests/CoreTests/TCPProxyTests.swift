import Foundation
import Testing
import TestSupport

/// The test proxy itself: what a fault test sends after `dropAll()` must never pass through the
/// connections it dropped.
@Suite struct TCPProxyTests {
    @Test func nothingTheServerSendsAfterDropAllReachesTheClient() async throws {
        // Blocking socket calls: on a thread of their own, not on the threads the tests' tasks share.
        let seen = try await onOwnThread(Self.dropAllBetweenTwoSends)
        #expect(seen.beforeDrop == "before")
        #expect(seen.afterDrop == "", "the dropped connection ends without forwarding more")
    }

    /// What the client reads of a send before `dropAll()` and of one right after it.
    private static func dropAllBetweenTwoSends() throws -> (beforeDrop: String?, afterDrop: String?) {
        let server = try Socket.listening()
        defer { close(server.descriptor) }
        let proxy = try TCPProxy(targetPort: server.port)
        defer { proxy.stop() }
        let client = try Socket.connected(to: proxy.port)
        defer { close(client) }
        let upstream = accept(server.descriptor, nil, nil)
        guard upstream >= 0 else { throw Socket.Failure() }
        defer { close(upstream) }

        guard Socket.send("before", to: upstream) else { throw Socket.Failure() }
        let beforeDrop = Socket.receive(from: client)
        proxy.dropAll()
        _ = Socket.send("after", to: upstream)
        return (beforeDrop, Socket.receive(from: client))
    }
}

/// Blocking loopback sockets, just enough for the test above.
private enum Socket {
    struct Failure: Error {}

    /// A listening socket whose `accept` gives up after 5 s.
    static func listening() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        giveUpAfterFiveSeconds(descriptor)
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard descriptor >= 0, bound, listen(descriptor, 4) == 0 else { throw Failure() }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected socket whose reads give up after 5 s.
    static func connected(to port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        giveUpAfterFiveSeconds(descriptor)
        guard descriptor >= 0, connected else { throw Failure() }
        return descriptor
    }

    private static func giveUpAfterFiveSeconds(_ descriptor: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    static func send(_ text: String, to descriptor: Int32) -> Bool {
        let bytes = Array(text.utf8)
        return Foundation.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// What one read returns: "" at the end of the stream, nil on an error or timeout.
    static func receive(from descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
