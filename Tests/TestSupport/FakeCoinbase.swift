import Core
import Hummingbird
import Synchronization

/// A Coinbase v2 prices API on loopback (`/v2/prices/BTC-{CCY}/buy`) whose answers the test sets per currency.
public final class FakeCoinbase: Sendable {
    public enum Answer: Sendable, Equatable, CustomStringConvertible {
        /// A well-formed quote of BTC in the requested currency.
        case quote(String)
        /// Exactly this body, with this status.
        case body(String, status: Int)
        /// A valid quote padded past 64 KiB.
        case oversized
        /// Never answers (until the test ends).
        case hang

        public static func body(_ text: String) -> Answer { .body(text, status: 200) }

        public var description: String {
            switch self {
            case .quote(let amount): "quote \(amount)"
            case .body(let text, let status): "\(status) \(text.prefix(80))"
            case .oversized: "oversized"
            case .hang: "hang"
            }
        }
    }

    private let answers: Mutex<[Currency: Answer]>
    private let counts = Mutex<[Currency: Int]>([:])
    private let gate = Gate()

    public static let goodRates: [Currency: String] = [.usd: "48478.88", .eur: "44000.5", .gbp: "38000"]

    /// Answers good quotes (`goodRates`) for every currency not in `answers`.
    public init(_ answers: [Currency: Answer] = [:]) {
        self.answers = Mutex(Self.goodRates.mapValues { .quote($0) }.merging(answers) { $1 })
    }

    public func answer(_ currency: Currency, with answer: Answer) {
        answers.withLock { $0[currency] = answer }
    }

    /// Requests received for `currency` so far.
    public func requests(_ currency: Currency) -> Int {
        counts.withLock { $0[currency, default: 0] }
    }

    public static func quoteJSON(amount: String, base: String = "BTC", currency: String) -> String {
        #"{"data":{"amount":"\#(amount)","base":"\#(base)","currency":"\#(currency)"}}"#
    }

    /// Runs the server while `body` runs with its base URL (the value for `PRICE_SOURCE_URL`).
    public func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        try await withLocalServer(router, gate: gate) { port in
            try await body("http://127.0.0.1:\(port)/v2/prices")
        }
    }

    private var router: Router<BasicRequestContext> {
        let router = Router()
        router.get("/v2/prices/:pair/buy") { _, context in
            let pair = context.parameters.get("pair") ?? ""
            guard pair.hasPrefix("BTC-"), let currency = Currency(code: String(pair.dropFirst(4))) else {
                return Response(status: .notFound)
            }
            self.counts.withLock { $0[currency, default: 0] += 1 }
            switch self.answers.withLock({ $0[currency] }) ?? .hang {
            case .quote(let amount):
                return Response.json(Self.quoteJSON(amount: amount, currency: currency.code))
            case .body(let text, let status):
                return Response.json(text, status: HTTPResponse.Status(code: status))
            case .oversized:
                let padding = String(repeating: "x", count: 70 * 1024)
                return Response.json(
                    #"{"data":{"amount":"48000.00","base":"BTC","currency":"\#(currency.code)"},"pad":"\#(padding)"}"#)
            case .hang:
                await self.gate.wait()
                return Response(status: .gatewayTimeout)
            }
        }
        return router
    }
}
