import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of a local port, for tests that cut a connection without closing
/// it: `pause()` stops forwarding in both directions and accepting (new connections still complete in
/// the kernel's backlog, then hear nothing; bytes wait in the kernel's buffers; nothing is closed),
/// `resume()` forwards again. It runs on a thread of its own until `stop()`, which every test calls.
public final class TCPProxy: Sendable {
    public let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let paused = Atomic(false)
    private let stopped = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(targetPort: Int) throws {
        self.targetPort = targetPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure(operation: "socket") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 64) == 0 else {
            close(listener)
            throw Failure(operation: "bind and listen")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in forward() }.start()
    }

    public func pause() { paused.store(true, ordering: .relaxed) }
    public func resume() { paused.store(false, ordering: .relaxed) }

    /// Closes every connection and the listener, and waits for the thread.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        finished.wait()
    }

    // MARK: - The thread

    private func forward() {
        var pairs: [(Int32, Int32)] = []
        defer {
            for (client, upstream) in pairs {
                close(client)
                close(upstream)
            }
            close(listener)
            finished.signal()
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopped.load(ordering: .relaxed) {
            if paused.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 0.02)
                continue
            }
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for (client, upstream) in pairs {
                descriptors.append(pollfd(fd: client, events: Int16(POLLIN), revents: 0))
                descriptors.append(pollfd(fd: upstream, events: Int16(POLLIN), revents: 0))
            }
            guard poll(&descriptors, nfds_t(descriptors.count), 50) > 0 else { continue }
            var closed: Set<Int> = []
            for (index, pair) in pairs.enumerated() {
                for (from, to, slot) in [(pair.0, pair.1, 1 + 2 * index), (pair.1, pair.0, 2 + 2 * index)]
                where descriptors[slot].revents != 0 && !closed.contains(index) {
                    let count = recv(from, &buffer, buffer.count, 0)
                    if count <= 0 || !Self.sendAll(buffer[..<count], to: to) { closed.insert(index) }
                }
            }
            for index in closed.sorted(by: >) {
                close(pairs[index].0)
                close(pairs[index].1)
                pairs.remove(at: index)
            }
            if descriptors[0].revents != 0, let pair = accept() { pairs.append(pair) }
        }
    }

    private func accept() -> (Int32, Int32)? {
        let client = Foundation.accept(listener, nil, nil)
        guard client >= 0 else { return nil }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: targetPort)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard upstream >= 0, connected else {
            close(client)
            if upstream >= 0 { close(upstream) }
            return nil
        }
        return (client, upstream)
    }

    private static func sendAll(_ bytes: ArraySlice<UInt8>, to socket: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    public struct Failure: Error, CustomStringConvertible {
        let operation: String
        public var description: String { "TCPProxy: \(operation) failed (errno \(errno))" }
    }
}
