import Core
import Foundation

/// Where the services are and the API key, from the environment, validated once.
///
/// The key is kept here and handed only to `authorization`; no message ever shows it.
struct CLISettings: Sendable {
    static let apiKeyVariable = "BUYORDERS_API_KEY"
    static let createURLVariable = "BUYORDERS_CREATE_URL"
    static let fetchURLVariable = "BUYORDERS_FETCH_URL"
    static let priceURLVariable = "BUYORDERS_PRICE_URL"

    /// The ports `./run.sh` gives the services on this machine.
    static let defaultCreateURL = "http://127.0.0.1:8777"
    static let defaultFetchURL = "http://127.0.0.1:8778"
    static let defaultPriceURL = "http://127.0.0.1:8779"

    /// Base URLs without a trailing slash.
    let createURL: String
    let fetchURL: String
    let priceURL: String
    private let apiKey: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(CLIFailure) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        createURL = try Self.baseURL(Self.createURLVariable, value(Self.createURLVariable), default: Self.defaultCreateURL)
        fetchURL = try Self.baseURL(Self.fetchURLVariable, value(Self.fetchURLVariable), default: Self.defaultFetchURL)
        priceURL = try Self.baseURL(Self.priceURLVariable, value(Self.priceURLVariable), default: Self.defaultPriceURL)
        if let key = value(Self.apiKeyVariable) {
            guard APIKey(token: key[...]) != nil else {
                throw .usage(
                    "\(Self.apiKeyVariable) does not hold an API key: expected bo_<key id>_<secret>, as "
                        + "buyorders-admin key create prints it (the value is not shown)")
            }
        }
        apiKey = value(Self.apiKeyVariable)
    }

    /// The `Authorization` header for the routes that need a key.
    func authorization() throws(CLIFailure) -> [String: String] {
        guard let apiKey else {
            throw .usage(
                "\(Self.apiKeyVariable) is not set: export the key of your client (./run.sh keeps the demo "
                    + "client's in .run/api-key; buyorders-admin key create makes one)")
        }
        return ["Authorization": "Bearer \(apiKey)"]
    }

    /// An `http` or `https` URL with a host, and no query or fragment.
    static func baseURL(_ variable: String, _ text: String?, default defaultValue: String) throws(CLIFailure) -> String {
        guard let text else { return defaultValue }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw .usage("\(variable) must be an http:// or https:// URL such as \(defaultValue), got \"\(text)\"")
        }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
