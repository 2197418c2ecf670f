import Foundation

/// One TCP connection to 127.0.0.1 on which a test writes HTTP/1 by hand: slowly, as HTTP/1.0, or
/// not at all, and sees exactly what the server answers and when it closes. Blocking socket calls,
/// each bounded by `poll`, run on a thread of their own; used by one task at a time.
public final class RawHTTPConnection: @unchecked Sendable {
    public struct Response: Sendable {
        public let status: Int
        /// Header names in lower case.
        public let headers: [String: String]
        public let body: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case connect(Int32)
        case closedByPeer
        case timedOut
        case malformed(String)

        public var description: String {
            switch self {
            case .connect(let error): "could not connect: \(String(cString: strerror(error)))"
            case .closedByPeer: "the server closed the connection"
            case .timedOut: "no answer in time"
            case .malformed(let text): "not an HTTP/1 response: \(text)"
            }
        }
    }

    private let descriptor: Int32
    private var received: [UInt8] = []
    private var isClosed = false

    /// Connects within `limit`; a server at its connection bound still accepts into its backlog.
    /// `receiveBuffer` shrinks the socket's receive buffer (a reader that does not read fills it soon).
    public init(port: Int, within limit: Duration = .seconds(5), receiveBuffer: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure.connect(errno) }
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        do {
            try connect(port: port, within: limit)
        } catch {
            close()
            throw error
        }
    }

    public static func open(port: Int, within limit: Duration = .seconds(5), receiveBuffer: Int32? = nil) async throws
        -> RawHTTPConnection
    {
        try await onOwnThread { try RawHTTPConnection(port: port, within: limit, receiveBuffer: receiveBuffer) }
    }

    deinit { close() }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    // MARK: - Writing

    public func send(_ text: String) async throws {
        try await onOwnThread { try self.write(Array(text.utf8)) }
    }

    /// Sends `text` one byte per `interval`; stops early, returning false, once the server closes.
    public func sendSlowly(_ text: String, every interval: Duration) async throws -> Bool {
        try await onOwnThread {
            for byte in text.utf8 {
                do {
                    try self.write([byte])
                } catch Failure.closedByPeer {
                    return false
                }
                Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
            }
            return true
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw Failure.closedByPeer
            }
            offset += sent
        }
    }

    // MARK: - Reading

    /// The next response (with a `Content-Length` body), or `Failure.timedOut` / `.closedByPeer`.
    public func response(within limit: Duration = .seconds(10)) async throws -> Response {
        try await onOwnThread { try self.readResponse(deadline: ContinuousClock.now + limit) }
    }

    /// True once the server has closed its side (EOF or reset) within `limit`; bytes that arrive meanwhile
    /// are kept for `response`.
    public func closesByServer(within limit: Duration) async -> Bool {
        (try? await onOwnThread { () -> Bool in
            let deadline = ContinuousClock.now + limit
            while true {
                do {
                    try self.fill(deadline: deadline)
                } catch Failure.closedByPeer {
                    return true
                } catch {
                    return false
                }
            }
        }) ?? false
    }

    /// The head of the next response (a streamed one too); what follows it stays for `bytes`.
    public func head(within limit: Duration = .seconds(10)) async throws -> (status: Int, headers: [String: String]) {
        try await onOwnThread {
            let deadline = ContinuousClock.now + limit
            let separator = Array("\r\n\r\n".utf8)
            while self.received.firstRange(of: separator) == nil { try self.fill(deadline: deadline) }
            let end = self.received.firstRange(of: separator)!.upperBound
            let (status, headers) = try Self.parseHead(String(decoding: self.received[..<end], as: UTF8.self))
            self.received.removeFirst(end)
            return (status, headers)
        }
    }

    /// What arrived (waiting up to `limit` for something); `Failure.closedByPeer` once the server closed
    /// and nothing is left.
    public func bytes(within limit: Duration) async throws -> [UInt8] {
        try await onOwnThread {
            if self.received.isEmpty { try self.fill(deadline: ContinuousClock.now + limit) }
            defer { self.received = [] }
            return self.received
        }
    }

    private static func parseHead(_ head: String) throws -> (Int, [String: String]) {
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw Failure.malformed(head) }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure.malformed(head)
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(head) }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    private func readResponse(deadline: ContinuousClock.Instant) throws -> Response {
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = received.firstRange(of: separator)?.upperBound
            if headEnd == nil { try fill(deadline: deadline) }
        }
        let head = String(decoding: received[..<headEnd!], as: UTF8.self)
        let (status, headers) = try Self.parseHead(head)
        guard let length = Int(headers["content-length"] ?? "") else { throw Failure.malformed(head) }
        while received.count < headEnd! + length { try fill(deadline: deadline) }
        let body = String(decoding: received[headEnd!..<(headEnd! + length)], as: UTF8.self)
        received.removeFirst(headEnd! + length)
        return Response(status: status, headers: headers, body: body)
    }

    /// Reads what arrives before `deadline` into `received`.
    private func fill(deadline: ContinuousClock.Instant) throws {
        try waitFor(Int16(POLLIN), deadline: deadline)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        guard count > 0 else { throw Failure.closedByPeer }
        received += chunk[..<count]
    }

    private func waitFor(_ events: Int16, deadline: ContinuousClock.Instant) throws {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw Failure.timedOut }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw Failure.closedByPeer }
        }
    }

    private func connect(port: Int, within limit: Duration) throws {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        var address = LoopbackSocket.address(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            guard errno == EINPROGRESS else { throw Failure.connect(errno) }
            try waitFor(Int16(POLLOUT), deadline: ContinuousClock.now + limit)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw Failure.connect(error) }
        }
        _ = fcntl(descriptor, F_SETFL, flags)
    }
}
