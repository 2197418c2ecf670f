import ArgumentParser
import Core

/// `buyorders activity`: every domain event of the client, newest first.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Lists what happened to your client: orders, quotes, keys, limits.",
        discussion: """
            GET /v1/activity on fetch-buy-orders: each event exactly as it was published (--json), or one \
            line per event with its time, type, id and a summary. Types: buy_order.created, quote.created, \
            client.created, client.rate_limit_changed, api_key.created, api_key.revoked; an unknown type is \
            refused by the API, which names the valid ones.

            EXAMPLES
              buyorders activity
              buyorders activity --type quote.created --type buy_order.created --all
              buyorders activity --from 2026-12-01T00:00:00Z --json

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Option(name: .customLong("type"), help: "Only events of this type; repeat it for several.")
    var types: [String] = []

    @OptionGroup var range: TimeRange
    @OptionGroup var listing: Listing

    func run() async throws {
        try await APIClient.with { api in
            let query = types.map { ("type", Optional($0)) } + range.query
            var events: [JSONObject] = []
            try await api.walk(.fetchBuyOrders, "/v1/activity", query: query, pageSize: listing.pageSize) { page in
                if listing.json, !listing.all {
                    Output.write(String(decoding: page.body, as: UTF8.self) + "\n", to: 1)
                    return false
                }
                for row in page.rows {
                    guard case .object(let event) = row else {
                        throw CLIFailure.unavailable("unexpected answer: an event is not an object")
                    }
                    events.append(event)
                }
                if !listing.all, page.lastReference != nil { Output.note("more events exist: --all lists every one") }
                return listing.all
            }
            if listing.json {
                if listing.all { Output.line(#"{"rows":["# + events.map(\.text).joined(separator: ",") + #"],"last_reference":null}"#) }
                return
            }
            guard !events.isEmpty else { return Output.line("no events") }
            let rows = events.map { event in
                [event.optionalString("occurred_at") ?? "-", event.optionalString("type") ?? "-",
                 event.optionalString("event_id") ?? "-", Self.summary(event)]
            }
            Output.line(Table(columns: [.init("OCCURRED"), .init("TYPE"), .init("EVENT"), .init("SUMMARY")], rows: rows).description)
        }
    }

    /// The facts of an event that a person looks for first; the whole event is in --json.
    static func summary(_ event: JSONObject) -> String {
        func member(_ object: String) -> JSONObject? {
            if case .object(let value) = event[object] { return value }
            return nil
        }
        func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let text): text
            case .number(let literal): literal
            default: nil
            }
        }
        switch event.optionalString("type") {
        case "buy_order.created":
            guard let order = member("order") else { return "" }
            return "order \(text(order["id"]) ?? "?"): \(text(order["currency_amount"]) ?? "?") "
                + "\(text(order["currency"]) ?? "?") for \(text(order["btc_amount"]) ?? "?") BTC at \(text(order["btc_rate"]) ?? "?")"
                + (text(order["quote_id"]).map { " (quote \($0))" } ?? "")
        case "quote.created":
            guard let quote = member("quote") else { return "" }
            return "quote \(text(quote["id"]) ?? "?"): 1 BTC = \(text(quote["rate"]) ?? "?") \(text(quote["currency"]) ?? "?")"
                + " until \(text(quote["expires_at"]) ?? "?")"
        case "api_key.created", "api_key.revoked":
            guard let key = member("api_key") else { return "" }
            var scopes = ""
            if case .array(let values) = key["scopes"] { scopes = values.compactMap(text).joined(separator: ",") }
            let label = text(key["label"]).flatMap { $0.isEmpty ? nil : " \"\($0)\"" } ?? ""
            return "key \(text(key["key_id"]) ?? "?") (\(scopes))\(label)"
        case "client.created", "client.rate_limit_changed":
            guard let client = member("client") else { return "" }
            let limit = text(client["rate_limit_per_s"]).map { "rate limit \($0)/s, burst \(text(client["rate_limit_burst"]) ?? "?")" }
            return "client \(text(client["id"]) ?? "?")" + (limit.map { ", \($0)" } ?? ", default rate limit")
        default:
            return ""
        }
    }
}
