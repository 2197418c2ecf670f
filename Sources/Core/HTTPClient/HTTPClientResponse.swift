/// A complete HTTP response: status, headers of the final response, and the whole body.
public struct HTTPClientResponse: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public let status: Int
    public let headers: [Header]
    public let body: [UInt8]

    public init(status: Int, headers: [Header], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header named `name`, compared without case.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name.lowercased() == name }?.value
    }

    /// The body as UTF-8 text (invalid bytes repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Throws `HTTPClientError.status` unless the status is 2xx.
    @discardableResult
    public func requireSuccess() throws(HTTPClientError) -> HTTPClientResponse {
        guard (200..<300).contains(status) else { throw .status(status) }
        return self
    }
}
