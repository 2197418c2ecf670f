/// One request for `HTTPClient`: a method, a URL, headers and, for POST and PUT, a body.
public struct HTTPClientRequest: Sendable, Equatable {
    public enum Method: String, Sendable, Equatable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
    }

    public var method: Method
    public var url: String
    public var headers: [String: String]
    /// Sent as it is with POST and PUT (set `Content-Type` in `headers`); ignored for GET.
    public var body: [UInt8]

    public init(_ method: Method = .get, _ url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
