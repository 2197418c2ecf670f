import ArgumentParser
import Core

/// `buyorders price CURRENCY`: btc-price's current quote.
struct PriceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price",
        abstract: "Shows the current price of one bitcoin.",
        discussion: """
            GET /v1/price on btc-price, which needs no key. The rate is the BTC price in the currency, as \
            an order would take it now; btc-price never serves a quote older than its PRICE_MAX_AGE_S \
            (exit status 3 then).

            EXAMPLES
              buyorders price USD
              buyorders price eur --json

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Argument(help: "The currency.")
    var currency: Currency

    @Flag(help: "The API's JSON instead of a sentence.")
    var json = false

    func run() async throws {
        try await APIClient.with { api in
            let (object, body) = try await api.getJSON(
                .btcPrice, api.url(.btcPrice, "/v1/price", query: [("currency", currency.code)]), authorized: false)
            let rate = try object.string("rate")
            guard (try? ExchangeRate(parsing: rate)) != nil else {
                throw CLIFailure.unavailable("unexpected answer: rate \"\(rate)\" is not a decimal rate")
            }
            if json { return Output.line(String(decoding: body, as: UTF8.self)) }
            Output.line(
                "1 BTC = \(rate) \(try object.string("currency"))  (source \(try object.string("source")), "
                    + "quoted at \(try object.string("quoted_at")))")
        }
    }
}
