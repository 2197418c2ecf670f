import Foundation
import Core

/// A buy order as the API renders it, each value kept as its exact decimal text, checked with Core's
/// exact types (never a floating point) so a wrong answer is caught, not printed.
struct Order: Sendable, Equatable {
    let view: BuyOrderView

    init(_ object: JSONObject) throws(CLIFailure) {
        view = BuyOrderView(
            id: try object.string("id"), createdAt: try object.string("created_at"), currency: try object.string("currency"),
            currencyAmount: try object.string("currency_amount"), btcRate: try object.string("btc_rate"),
            btcAmount: try object.string("btc_amount"), quoteID: object.optionalString("quote_id"))
        guard Currency(code: view.currency) != nil, (try? FiatAmount(parsing: view.currencyAmount)) != nil,
            (try? ExchangeRate(parsing: view.btcRate)) != nil, BTCAmount(parsing: view.btcAmount) != nil,
            RFC3339Timestamp(parsing: view.createdAt[...]) != nil
        else { throw .unavailable("unexpected answer: order \(view.id) has a malformed value: \(view.json)") }
    }

    init(_ value: JSONValue) throws(CLIFailure) {
        guard case .object(let object) = value else { throw .unavailable("unexpected answer: an order is not an object") }
        try self.init(object)
    }

    /// The columns of `orders` and `watch`: created, id, currency, amount, rate, BTC.
    static let columns: [Table.Column] = [
        .init("CREATED"), .init("ID"), .init("CURRENCY"), .init("AMOUNT", alignRight: true),
        .init("RATE", alignRight: true), .init("BTC", alignRight: true),
    ]

    var cells: [String] {
        [view.createdAt, view.id, view.currency, view.currencyAmount, view.btcRate, view.btcAmount]
    }

    /// `watch`'s line: the cells padded to widths that fit any valid order.
    var line: String {
        let widths = [27, 36, 3, 12, 11, 10]  // wider values push the line, never cut it
        return zip(Self.columns, zip(cells, widths)).map { column, cell in
            Table.pad(cell.0, to: cell.1, right: column.alignRight)
        }.joined(separator: "  ")
    }

    static let csvHeader = "id,created_at,currency,currency_amount,btc_rate,btc_amount,quote_id"

    /// One CSV row (RFC 4180), the values exactly as the API sent them.
    var csvRow: String {
        [view.id, view.createdAt, view.currency, view.currencyAmount, view.btcRate, view.btcAmount, view.quoteID ?? ""]
            .map(Self.csvField).joined(separator: ",")
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// One page of `GET /v1/buy_orders` (or `/v1/activity`): its rows and the reference of the next page.
struct Page<Row: Sendable>: Sendable {
    let rows: [Row]
    let lastReference: String?
}
