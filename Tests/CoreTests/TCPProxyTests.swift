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
        guard let server = LoopbackSocket.listening(backlog: 4) else { throw Failure() }
        giveUpAfterFiveSeconds(server.descriptor)
        return server
    }

    /// A connected socket whose reads give up after 5 s.
    static func connected(to port: Int) throws -> Int32 {
        guard let descriptor = LoopbackSocket.connected(to: port) else { throw Failure() }
        giveUpAfterFiveSeconds(descriptor)
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
}
