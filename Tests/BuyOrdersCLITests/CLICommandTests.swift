import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// Every command of `buyorders`, run as its own process against a running cluster over real HTTP.
@Suite(.serialized) struct CLICommandTests {
    @Test func everyCommandWorksAgainstARunningCluster() async throws {
        try await CLICluster.run { cluster in
            let key = try await cluster.client("cli-all")
            let environment = cluster.environment(key: key)
            func buyorders(_ arguments: String...) async throws -> CLIRun {
                try await CLIRun.buyorders(arguments, environment: environment)
            }

            // price: btc-price's quote, no key needed
            let price = try await CLIRun.buyorders(["price", "usd"], environment: cluster.environment(key: nil))
            #expect(price.status == 0, "\(price)")
            #expect(price.out.hasPrefix("1 BTC = ") && price.out.contains(" USD  (source simulated, quoted at "), "\(price)")

            // buy at the market price: the BTC amount is the exact division of the amount by the rate shown
            let bought = try await buyorders("buy", "USD", "123.45")
            #expect(bought.status == 0, "\(bought)")
            let (btc, rate) = try Self.boughtFigures(bought.lines.first ?? "", currency: "USD")
            #expect(btc == BTCAmount(buying: try FiatAmount(parsing: "123.45"), at: try ExchangeRate(parsing: rate)).description)
            let marketOrderID = try #require(Self.orderID(bought))

            // buy from a quote, without asking: the order takes exactly the quote's rate
            let quoted = try await buyorders("buy", "EUR", "50", "--quote", "--yes")
            #expect(quoted.status == 0, "\(quoted)")
            let quoteLine = try #require(quoted.lines.first { $0.hasPrefix("quote ") })
            let quoteRate = String(quoteLine.split(separator: " ")[5])
            #expect(quoteLine.contains("valid until ") && quoteLine.contains(" s from now)"), "\(quoted)")
            let expected = BTCAmount(buying: try FiatAmount(parsing: "50"), at: try ExchangeRate(parsing: quoteRate)).description
            #expect(quoted.lines.contains("50.00 EUR buys \(expected) BTC at this rate"), "\(quoted)")
            #expect(quoted.lines.contains("bought \(expected) BTC for 50.00 EUR at \(quoteRate) EUR/BTC"), "\(quoted)")
            let quoteOrderID = try #require(Self.orderID(quoted))
            #expect(quoted.out.contains("from quote "))

            // --quote without a terminal and without --yes asks nobody, and makes neither quote nor order
            let unasked = try await buyorders("buy", "GBP", "5", "--quote")
            #expect(unasked.status == 2, "\(unasked)")
            #expect(unasked.err.contains("stdin is not one: add --yes"), "\(unasked)")
            #expect(try cluster.write.connect().query("SELECT 1 FROM quote WHERE currency = 'GBP'").isEmpty)

            try await cluster.awaitProjected(2, client: "cli-all")

            // orders: an aligned table, newest first
            let table = try await buyorders("orders")
            #expect(table.status == 0, "\(table)")
            #expect(table.lines.count == 3, "\(table)")
            #expect(table.lines[0].hasPrefix("CREATED") && table.lines[0].hasSuffix("BTC"), "\(table)")
            #expect(table.lines[1].contains(quoteOrderID) && table.lines[1].contains("EUR"))
            #expect(table.lines[2].contains(marketOrderID) && table.lines[2].contains("123.45"))
            #expect(Set(table.lines.map(\.count)).count == 1, "the columns line up: \(table)")

            // --json: the API's page exactly
            let json = try await buyorders("orders", "--json")
            let page = try await cluster.fetch.execute(
                uri: "/v1/buy_orders?page_size=20", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(json.out == String(buffer: page.body) + "\n", "\(json)")

            let euros = try await buyorders("orders", "--currency", "EUR")
            #expect(euros.lines.count == 2 && euros.lines[1].contains(quoteOrderID), "\(euros)")

            // --all follows last_reference through pages of one
            let all = try await buyorders("orders", "--all", "--page-size", "1", "--json")
            let rows = try Self.rows(all.out)
            #expect(rows.map { $0["id"] as? String } == [quoteOrderID, marketOrderID], "\(all)")
            let firstPage = try await buyorders("orders", "--page-size", "1")
            #expect(firstPage.lines.count == 2 && firstPage.err.contains("more orders exist: --all"), "\(firstPage)")

            // order ID: its fields, or the API's JSON
            let order = try await buyorders("order", marketOrderID)
            #expect(order.status == 0, "\(order)")
            #expect(order.lines.contains { $0.hasPrefix("currency_amount") && $0.hasSuffix(" 123.45") }, "\(order)")
            #expect(order.lines.contains { $0.hasPrefix("quote_id") && $0.hasSuffix(" -") }, "\(order)")
            let orderJSON = try await buyorders("order", marketOrderID, "--json")
            let single = try await cluster.fetch.execute(
                uri: "/v1/buy_orders/\(marketOrderID)", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(orderJSON.out == String(buffer: single.body) + "\n")

            // activity: every event of the client, and filters
            try await expectEventually(within: .seconds(30)) {
                try await buyorders("activity", "--all").lines.filter { $0.contains("buy_order.created") }.count == 2
            }
            let activity = try await buyorders("activity", "--all")
            #expect(activity.lines[0].hasPrefix("OCCURRED"), "\(activity)")
            #expect(activity.lines.contains { $0.contains("quote.created") && $0.contains("1 BTC = \(quoteRate) EUR") }, "\(activity)")
            #expect(activity.lines.contains { $0.contains("buy_order.created") && $0.contains("123.45 USD for \(btc) BTC at \(rate)") })
            #expect(activity.lines.contains { $0.contains("api_key.created") }, "\(activity)")
            let quotes = try await buyorders("activity", "--type", "quote.created", "--all", "--json")
            #expect(try Self.rows(quotes.out).map { $0["type"] as? String } == ["quote.created"], "\(quotes)")

            // export: the header and one row per order
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().lowercaseText)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("orders.csv").path
            let export = try await buyorders("export", file)
            #expect(export.status == 0, "\(export)")
            let csv = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            #expect(csv.count == 3 && csv[0] == "id,created_at,currency,currency_amount,btc_rate,btc_amount,quote_id")
            #expect(csv[2].hasPrefix("\(marketOrderID),") && csv[2].contains(",USD,123.45,\(rate),\(btc),"))
            #expect(export.err.contains("exported 2 orders to \(file)"), "\(export)")
        }
    }

    /// `bought <btc> BTC for <amount> <currency> at <rate> <currency>/BTC`
    static func boughtFigures(_ line: String, currency: String) throws -> (btc: String, rate: String) {
        let words = line.split(separator: " ").map(String.init)
        try #require(words.count == 9 && words[0] == "bought" && words[8] == "\(currency)/BTC", "\(line)")
        return (words[1], words[7])
    }

    static func orderID(_ run: CLIRun) -> String? {
        run.lines.first { $0.hasPrefix("order ") }.map { String($0.split(separator: " ")[1]) }
    }

    static func rows(_ json: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return object?["rows"] as? [[String: Any]] ?? []
    }
}
