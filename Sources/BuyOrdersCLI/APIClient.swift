import Core
import Foundation

/// The three services as this client calls them: over Core's libcurl client, with the key where a route
/// needs one, each answer checked and turned into JSON or a `CLIFailure`.
struct APIClient: Sendable {
    enum Service: String, Sendable {
        case createBuyOrder = "create-buy-order"
        case fetchBuyOrders = "fetch-buy-orders"
        case btcPrice = "btc-price"
    }

    /// What came back from one request: an answer of any status, or none.
    enum Outcome: Sendable {
        case answered(HTTPClientResponse)
        case noAnswer(HTTPClientError)
    }

    let settings: CLISettings
    let http: HTTPClient

    static let configuration = HTTPClientConfiguration(
        connectTimeout: .seconds(3), timeout: .seconds(30), maxResponseSize: 4 << 20, maxConcurrentRequests: 2,
        userAgent: "buyorders")

    /// Runs `body` with a client made from the environment, and closes it afterwards.
    static func with<T>(_ body: (APIClient) async throws -> T) async throws -> T {
        let settings = try CLISettings()
        let http: HTTPClient
        do {
            http = try HTTPClient(configuration: configuration)
        } catch {
            throw CLIFailure.unavailable("cannot start libcurl: \(error.debugDescription)")
        }
        let client = APIClient(settings: settings, http: http)
        do {
            let result = try await body(client)
            await http.close()
            return result
        } catch {
            await http.close()
            throw error
        }
    }

    func baseURL(_ service: Service) -> String {
        switch service {
        case .createBuyOrder: settings.createURL
        case .fetchBuyOrders: settings.fetchURL
        case .btcPrice: settings.priceURL
        }
    }

    /// `path` with the query's non-nil values, percent-encoded.
    func url(_ service: Service, _ path: String, query: [(String, String?)] = []) -> String {
        let pairs = query.compactMap { name, value in value.map { "\(name)=\(Self.percentEncoded($0))" } }
        return baseURL(service) + path + (pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&"))
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Sends one request, once; a failure to get an answer is an outcome, not an error.
    func attempt(_ request: HTTPClientRequest) async throws -> Outcome {
        do {
            return .answered(try await http.execute(request))
        } catch let error as HTTPClientError {
            return .noAnswer(error)
        }
    }

    /// GETs a JSON object; every other answer is a `CLIFailure`.
    func getJSON(_ service: Service, _ url: String, authorized: Bool = true) async throws -> (JSONObject, [UInt8]) {
        var headers = ["Accept": "application/json"]
        if authorized { headers.merge(try settings.authorization()) { $1 } }
        let outcome = try await attempt(HTTPClientRequest(.get, url, headers: headers))
        let response = try Self.answer(outcome, from: service, url: url)
        return (try Self.object(response, from: service), response.body)
    }

    /// The response when it is a 2xx; a 4xx is `refused` with its problem, a 5xx or no answer `unavailable`.
    static func answer(_ outcome: Outcome, from service: Service, url: String) throws(CLIFailure) -> HTTPClientResponse {
        switch outcome {
        case .noAnswer(let error):
            throw .unavailable("no answer from \(service.rawValue) at \(Self.redacted(url)): \(error.debugDescription)")
        case .answered(let response) where (200..<300).contains(response.status):
            return response
        case .answered(let response):
            let problem = ProblemText(response: response)
            if (400..<500).contains(response.status) { throw .refused("\(service.rawValue) refused: \(problem)") }
            throw .unavailable("\(service.rawValue) is unavailable: \(problem)")
        }
    }

    static func object(_ response: HTTPClientResponse, from service: Service) throws(CLIFailure) -> JSONObject {
        do {
            return try JSONParser(maxBytes: configuration.maxResponseSize).parseObject(response.body)
        } catch {
            throw .unavailable("\(service.rawValue) answered \(response.status) with a body that is not a JSON object (\(error))")
        }
    }

    /// The URL without its query, for messages.
    static func redacted(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }
}

extension JSONObject {
    /// The string member `key`; a missing or other value is an answer the client cannot use.
    func string(_ key: String) throws(CLIFailure) -> String {
        guard case .string(let value) = self[key] else {
            throw .unavailable("unexpected answer: \"\(key)\" is missing or not a string")
        }
        return value
    }

    func optionalString(_ key: String) -> String? {
        if case .string(let value) = self[key] { return value }
        return nil
    }

    func object(_ key: String) throws(CLIFailure) -> JSONObject {
        guard case .object(let value) = self[key] else {
            throw .unavailable("unexpected answer: \"\(key)\" is missing or not an object")
        }
        return value
    }

    func array(_ key: String) throws(CLIFailure) -> [JSONValue] {
        guard case .array(let value) = self[key] else {
            throw .unavailable("unexpected answer: \"\(key)\" is missing or not an array")
        }
        return value
    }
}
