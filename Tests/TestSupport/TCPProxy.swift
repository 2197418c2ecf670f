import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of a local port, for tests that break connections for real:
/// - `pause()` stops forwarding in both directions and accepting (new connections still complete in
///   the kernel's backlog, then hear nothing; bytes wait in the kernel's buffers; nothing is closed),
///   `resume()` forwards again;
/// - `cutAnswers(count)` lets the next `count` connections forward their request and then closes them
///   as the server's answer arrives, before the client sees a byte of it (the server did the work; the
///   client has no answer);
/// - `dropAll()` closes every open connection at once (a server-side drop).
///
/// It runs on a thread of its own until `stop()`, which every test calls.
public final class TCPProxy: Sendable {
    public let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let paused = Atomic(false)
    private let answersToCut = Atomic(0)
    private let dropRequests = Atomic(0)
    private let dropsDone = Atomic(0)
    private let cutCount = Atomic(0)
    private let stopped = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(targetPort: Int) throws {
        self.targetPort = targetPort
        guard let (listener, port) = LoopbackSocket.listening(backlog: 64) else {
            throw Failure(operation: "bind and listen")
        }
        self.listener = listener
        self.port = port
        Thread { [self] in forward() }.start()
    }

    public func pause() { paused.store(true, ordering: .relaxed) }
    public func resume() { paused.store(false, ordering: .relaxed) }

    /// The next `count` connections lose the server's answer.
    public func cutAnswers(_ count: Int) { answersToCut.store(count, ordering: .relaxed) }

    /// Answers cut so far.
    public var answersCut: Int { cutCount.load(ordering: .relaxed) }

    /// Closes every connection open now and returns once they are closed, so nothing sent after it
    /// passes through an old connection; new ones are forwarded as usual.
    public func dropAll() {
        let request = dropRequests.add(1, ordering: .relaxed).newValue
        let deadline = Date().addingTimeInterval(5)
        while dropsDone.load(ordering: .acquiring) < request, !stopped.load(ordering: .relaxed), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    /// Closes every connection and the listener, and waits for the thread.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        finished.wait()
    }

    // MARK: - The thread

    private struct Pair {
        let client: Int32
        let upstream: Int32
        /// This connection's answer is to be cut.
        let cut: Bool

        func close() {
            Foundation.close(client)
            Foundation.close(upstream)
        }
    }

    private func forward() {
        var pairs: [Pair] = []
        var drops = 0
        defer {
            for pair in pairs { pair.close() }
            close(listener)
            finished.signal()
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopped.load(ordering: .relaxed) {
            let requestedDrops = dropRequests.load(ordering: .relaxed)
            if requestedDrops != drops {
                drops = requestedDrops
                for pair in pairs { pair.close() }
                pairs.removeAll()
                dropsDone.store(requestedDrops, ordering: .releasing)
            }
            if paused.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 0.02)
                continue
            }
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for pair in pairs {
                descriptors.append(pollfd(fd: pair.client, events: Int16(POLLIN), revents: 0))
                descriptors.append(pollfd(fd: pair.upstream, events: Int16(POLLIN), revents: 0))
            }
            guard poll(&descriptors, nfds_t(descriptors.count), 20) > 0 else { continue }
            var closed: Set<Int> = []
            for (index, pair) in pairs.enumerated() {
                if descriptors[1 + 2 * index].revents != 0 {
                    let count = recv(pair.client, &buffer, buffer.count, 0)
                    if count <= 0 || !Self.sendAll(buffer[..<count], to: pair.upstream) { closed.insert(index) }
                }
                if descriptors[2 + 2 * index].revents != 0, !closed.contains(index) {
                    if pair.cut {
                        cutCount.add(1, ordering: .relaxed)
                        closed.insert(index)
                        continue
                    }
                    let count = recv(pair.upstream, &buffer, buffer.count, 0)
                    if count <= 0 || !Self.sendAll(buffer[..<count], to: pair.client) { closed.insert(index) }
                }
            }
            for index in closed.sorted(by: >) {
                pairs[index].close()
                pairs.remove(at: index)
            }
            if descriptors[0].revents != 0, let pair = accept() { pairs.append(pair) }
        }
    }

    private func accept() -> Pair? {
        let client = Foundation.accept(listener, nil, nil)
        guard client >= 0 else { return nil }
        guard let upstream = LoopbackSocket.connected(to: targetPort) else {
            close(client)
            return nil
        }
        return Pair(client: client, upstream: upstream, cut: takeCut())
    }

    /// Whether the connection accepted now is one of those whose answer is to be cut.
    private func takeCut() -> Bool {
        while true {
            let left = answersToCut.load(ordering: .relaxed)
            guard left > 0 else { return false }
            if answersToCut.compareExchange(expected: left, desired: left - 1, ordering: .relaxed).exchanged { return true }
        }
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

    public struct Failure: Error, CustomStringConvertible {
        let operation: String
        public var description: String { "TCPProxy: \(operation) failed (errno \(errno))" }
    }
}
