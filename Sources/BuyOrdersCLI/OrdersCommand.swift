import ArgumentParser
import Foundation
import Core

/// `buyorders orders`: the client's orders, newest first.
struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "Lists your buy orders, newest first.",
        discussion: """
            GET /v1/buy_orders on fetch-buy-orders. Without --all it shows the first page and says on \
            stderr when more exist; --all follows last_reference to the oldest order. Amounts, rates and BTC \
            figures are the API's exact strings.

            EXAMPLES
              buyorders orders
              buyorders orders --currency EUR --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z
              buyorders orders --all --json | jq -r '.rows[].btc_amount'

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Option(help: "Only orders in this currency.")
    var currency: Currency?

    @OptionGroup var range: TimeRange
    @OptionGroup var listing: Listing

    func run() async throws {
        try await APIClient.with { api in
            let query = [("currency", currency?.code)] + range.query
            var orders: [Order] = []
            var more = false
            try await api.walk(.fetchBuyOrders, "/v1/buy_orders", query: query, pageSize: listing.pageSize) { page in
                if listing.json, !listing.all {
                    Output.write(String(decoding: page.body, as: UTF8.self) + "\n", to: 1)
                    return false
                }
                orders += try page.rows.map { value throws(CLIFailure) in try Order(value) }
                more = page.lastReference != nil
                return listing.all
            }
            if listing.json {
                if listing.all { Output.line(#"{"rows":["# + orders.map(\.view.json).joined(separator: ",") + #"],"last_reference":null}"#) }
                return
            }
            if orders.isEmpty {
                Output.line("no orders")
            } else {
                Output.line(Table(columns: Order.columns, rows: orders.map(\.cells)).description)
            }
            if more { Output.note("more orders exist: --all lists every one") }
        }
    }
}

/// `buyorders order ID`: one order.
struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Shows one of your buy orders.",
        discussion: """
            GET /v1/buy_orders/ID on fetch-buy-orders. Another client's order is not found, like one that \
            does not exist (exit status 1).

            EXAMPLES
              buyorders order b6b90e35-1eaf-459c-9310-3a20379a5257
              buyorders order b6b90e35-1eaf-459c-9310-3a20379a5257 --json

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Argument(help: "The order's id, a UUID.")
    var id: String

    @Flag(help: "The API's JSON instead of a list of fields.")
    var json = false

    func validate() throws {
        guard UUID(text: id) != nil else { throw ValidationError("ID must be a UUID, got \"\(id)\"") }
    }

    func run() async throws {
        try await APIClient.with { api in
            let (object, body) = try await api.getJSON(
                .fetchBuyOrders, api.url(.fetchBuyOrders, "/v1/buy_orders/\(id.lowercased())"))
            let order = try Order(object)
            if json { return Output.line(String(decoding: body, as: UTF8.self)) }
            let fields = [
                ("id", order.view.id), ("created_at", order.view.createdAt), ("currency", order.view.currency),
                ("currency_amount", order.view.currencyAmount), ("btc_rate", order.view.btcRate),
                ("btc_amount", order.view.btcAmount), ("quote_id", order.view.quoteID ?? "-"),
            ]
            Output.line(Table(columns: [.init("FIELD"), .init("VALUE")], rows: fields.map { [$0.0, $0.1] }).description
                .split(separator: "\n").dropFirst().joined(separator: "\n"))
        }
    }
}
