import Core

/// Where quotes come from: the Coinbase prices API, or a simulated random walk for offline use.
protocol PriceSource: Sendable {
    /// The label quotes carry in responses: `coinbase` or `simulated`.
    var name: String { get }

    /// The current BTC price in `currency`. Throws `PriceSourceFailure`, or `CancellationError`.
    func rate(for currency: Currency) async throws -> ExchangeRate
}

/// Why a source gave no usable quote. `kind` is short and stable (a metric label); `detail` is for logs.
struct PriceSourceFailure: Error, Sendable, Equatable, CustomStringConvertible {
    let kind: String
    let detail: String

    var description: String { "\(kind): \(detail)" }

    init(kind: String, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    init(_ error: HTTPClientError) {
        self.init(kind: error.kind, detail: error.debugDescription)
    }

    static func malformed(_ detail: String) -> PriceSourceFailure {
        PriceSourceFailure(kind: "malformed", detail: detail)
    }
}
