import ArgumentParser
import Core
import Foundation

/// `buyorders buy CURRENCY AMOUNT`: one order, at the market price or at a quoted rate.
struct BuyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buy",
        abstract: "Buys bitcoin for an amount of fiat money.",
        discussion: """
            PUT /v1/buy_order on create-buy-order, with a fresh idempotency key (or --idempotency-key). It \
            prints the BTC bought, the rate and the order. With --quote it first asks for a quote (POST \
            /v1/quotes), shows its rate, what the amount buys at it and when it expires, and asks on the \
            terminal before buying at exactly that rate; --yes buys without asking. Without a terminal, \
            --quote needs --yes (exit status 2 otherwise).

            When no answer comes (the connection is refused or drops, or the server could not tell whether \
            it stored the order: a 503 of type /problems/outcome-unknown), buy sends the same request again \
            with the same idempotency key, up to 5 attempts over about 8 s, saying so on stderr: the order \
            is made once, however many attempts reach the server. If every attempt fails, run the command \
            again with --idempotency-key and the key it printed.

            The amount is exact: at most 2 decimals, more than 0 and less than 1000000000. The BTC amount \
            is amount / rate rounded up to 8 decimals, computed by the server (and, for a quote, shown \
            before you confirm with the same exact division).

            EXAMPLES
              buyorders buy USD 123.45
              buyorders buy EUR 50 --quote
              buyorders buy GBP 20 --quote --yes
              buyorders buy USD 10 --idempotency-key 9b2e7f0c-3a59-4a51-a4f5-4f8f3f1c2d10

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Argument(help: "The currency to pay in.")
    var currency: Currency

    @Argument(help: "The amount to pay, such as 123.45.")
    var amount: String

    @Flag(help: "Get a quote first, show it, and buy at exactly its rate after you confirm.")
    var quote = false

    @Flag(name: .shortAndLong, help: "With --quote, buy without asking.")
    var yes = false

    @Option(help: "The idempotency key (a UUID) to send, to repeat an earlier attempt safely.")
    var idempotencyKey: String?

    func validate() throws {
        do {
            _ = try FiatAmount(parsing: amount)
        } catch {
            throw ValidationError("AMOUNT \(error), got \"\(amount)\"")
        }
        if let idempotencyKey, UUID(text: idempotencyKey) == nil {
            throw ValidationError("--idempotency-key must be a UUID, got \"\(idempotencyKey)\"")
        }
    }

    func run() async throws {
        let amount = try FiatAmount(parsing: amount)
        // Refused before asking for a quote, so nothing is made for a question nobody can answer.
        if quote, !yes, !Output.isStdinTerminal {
            throw CLIFailure.usage("--quote asks for confirmation on a terminal, and stdin is not one: add --yes to buy without asking")
        }
        try await APIClient.with { api in
            let authorization = try api.settings.authorization()
            var quoteID: String?
            if quote {
                let quote = try await requestQuote(api, authorization: authorization)
                try show(quote, amount: amount)
                guard try confirmed(quote, amount: amount) else {
                    Output.line("nothing bought; the quote expires by itself")
                    return
                }
                quoteID = quote.id
            }
            let key = idempotencyKey?.lowercased() ?? UUID().lowercaseText
            let order = try await place(api, authorization: authorization, amount: amount, quoteID: quoteID, key: key)
            Output.line(
                "bought \(order.view.btcAmount) BTC for \(order.view.currencyAmount) \(order.view.currency) at "
                    + "\(order.view.btcRate) \(order.view.currency)/BTC")
            Output.line(
                "order \(order.view.id) created at \(order.view.createdAt)"
                    + (order.view.quoteID.map { " from quote \($0)" } ?? "") + " (idempotency key \(key))")
        }
    }

    // MARK: - The quote

    struct Quote {
        let id: String
        let rate: ExchangeRate
        let rateText: String
        let source: String
        let expiresAt: String
    }

    func requestQuote(_ api: APIClient, authorization: [String: String]) async throws -> Quote {
        let url = api.url(.createBuyOrder, "/v1/quotes")
        let request = HTTPClientRequest(
            .post, url, headers: authorization.merging(["Content-Type": "application/json", "Accept": "application/json"]) { $1 },
            body: Array(#"{"currency":"\#(currency.code)"}"#.utf8))
        let response = try APIClient.answer(try await api.attempt(request), from: .createBuyOrder, url: url)
        let object = try APIClient.object(response, from: .createBuyOrder)
        let rateText = try object.string("rate")
        guard let rate = try? ExchangeRate(parsing: rateText) else {
            throw CLIFailure.unavailable("unexpected answer: quote rate \"\(rateText)\" is not a decimal rate")
        }
        return Quote(
            id: try object.string("quote_id"), rate: rate, rateText: rateText, source: try object.string("source"),
            expiresAt: try object.string("expires_at"))
    }

    func show(_ quote: Quote, amount: FiatAmount) throws {
        let btc = BTCAmount(buying: amount, at: quote.rate)
        var expiry = "valid until \(quote.expiresAt)"
        if let end = RFC3339Timestamp(parsing: quote.expiresAt[...]) {
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            expiry += " (\(max(0, (end.microseconds - now) / 1_000_000)) s from now)"
        }
        Output.line("quote \(quote.id): 1 BTC = \(quote.rateText) \(currency.code) (source \(quote.source)), \(expiry)")
        Output.line("\(amount) \(currency.code) buys \(btc) BTC at this rate")
    }

    /// `--yes`, or a `y` typed at the terminal (`run` made sure there is one).
    func confirmed(_ quote: Quote, amount: FiatAmount) throws -> Bool {
        if yes { return true }
        Output.write("buy at this rate? [y/N] ", to: STDERR_FILENO)
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return answer == "y" || answer == "yes"
    }

    // MARK: - The order, retried with the same key

    func place(
        _ api: APIClient, authorization: [String: String], amount: FiatAmount, quoteID: String?, key: String
    ) async throws -> Order {
        let url = api.url(.createBuyOrder, "/v1/buy_order")
        var body = #"{"currency":"\#(currency.code)","amount":"\#(amount)","idempotence_key":"\#(key)""#
        if let quoteID { body += #","quote_id":"\#(quoteID)""# }
        body += "}"
        let request = HTTPClientRequest(
            .put, url, headers: authorization.merging(["Content-Type": "application/json", "Accept": "application/json"]) { $1 },
            body: Array(body.utf8))
        var retry = BuyRetry()
        while true {
            let outcome = try await api.attempt(request)
            switch retry.decide(after: Self.retryOutcome(outcome)) {
            case .accept:
                let response = try APIClient.answer(outcome, from: .createBuyOrder, url: url)
                if retry.attempts > 1, response.header("Idempotent-Replayed") == "true" {
                    Output.note("an earlier attempt had stored the order: this is the same order, bought once")
                }
                return try Order(try APIClient.object(response, from: .createBuyOrder).object("buy_order"))
            case .retry(let pause):
                Output.note(
                    "\(Self.reason(outcome)); sending the order again with the same idempotency key \(key) in "
                        + "\(Self.seconds(pause)) (attempt \(retry.attempts + 1) of \(retry.maxAttempts))")
                try await Task.sleep(for: pause)
            case .giveUp:
                throw CLIFailure.unavailable(
                    "\(Self.reason(outcome)) after \(retry.attempts) attempts; the order may or may not exist: "
                        + "`buyorders orders` shows it if it does, and `buyorders buy \(currency.code) \(amount) "
                        + "--idempotency-key \(key)` makes it at most once")
            }
        }
    }

    static func retryOutcome(_ outcome: APIClient.Outcome) -> BuyRetry.Outcome {
        switch outcome {
        case .noAnswer: .noAnswer
        case .answered(let response): .answered(status: response.status, problemType: ProblemText(response: response).type)
        }
    }

    static func reason(_ outcome: APIClient.Outcome) -> String {
        switch outcome {
        case .noAnswer(let error): "no answer from create-buy-order (\(error.debugDescription))"
        case .answered(let response): "create-buy-order does not know whether it stored the order (\(ProblemText(response: response)))"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s"
    }
}
