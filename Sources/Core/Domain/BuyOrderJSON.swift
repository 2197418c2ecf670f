/// A buy order as clients see it, every value already in its wire text form.
///
/// The one place an order becomes JSON, shared by create-buy-order responses and fetch-buy-orders pages.
public struct BuyOrderView: Sendable, Equatable {
    public var id: String
    /// RFC 3339 UTC with microseconds, as `BuyOrderView.createdAtSQL` renders it.
    public var createdAt: String
    public var currency: String
    public var currencyAmount: String
    public var btcRate: String
    public var btcAmount: String
    /// The quote the order was made from, if any.
    public var quoteID: String?

    public init(
        id: String, createdAt: String, currency: String, currencyAmount: String, btcRate: String, btcAmount: String,
        quoteID: String? = nil
    ) {
        self.id = id
        self.createdAt = createdAt
        self.currency = currency
        self.currencyAmount = currencyAmount
        self.btcRate = btcRate
        self.btcAmount = btcAmount
        self.quoteID = quoteID
    }

    /// `{"id":…,"created_at":…,"currency":…,"currency_amount":…,"btc_rate":…,"btc_amount":…}`, values as strings,
    /// and `"quote_id":…` last for an order made from a quote.
    public var json: String {
        var text = ""
        write(into: &text)
        return text
    }

    /// Appends `json` to `text`, for callers that render many orders into one body.
    public func write(into text: inout String) {
        text += #"{"id":"#
        JSONText.appendQuoted(id, to: &text)
        text += #","created_at":"#
        JSONText.appendQuoted(createdAt, to: &text)
        text += #","currency":"#
        JSONText.appendQuoted(currency, to: &text)
        text += #","currency_amount":"#
        JSONText.appendQuoted(currencyAmount, to: &text)
        text += #","btc_rate":"#
        JSONText.appendQuoted(btcRate, to: &text)
        text += #","btc_amount":"#
        JSONText.appendQuoted(btcAmount, to: &text)
        if let quoteID {
            text += #","quote_id":"#
            JSONText.appendQuoted(quoteID, to: &text)
        }
        text += "}"
    }

    // MARK: - Rendering helpers

    /// A SQL expression rendering a `timestamptz` column as `createdAt` text, e.g. `2026-11-23T19:49:44.395736Z`.
    public static func createdAtSQL(_ column: String) -> String {
        #"to_char(\#(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#
    }

    /// A rate as PostgreSQL's NUMERIC(20,8) text gives it, without trailing zeros beyond two decimals:
    /// `48478.88000000` → `48478.88`, `3.00000000` → `3.00`, `0.12345678` unchanged.
    public static func trimmedRate(_ text: String) -> String {
        guard let point = text.utf8.firstIndex(of: UInt8(ascii: ".")) else { return text }
        let keepAtLeast = text.utf8.index(point, offsetBy: 3, limitedBy: text.utf8.endIndex) ?? text.utf8.endIndex
        var end = text.utf8.endIndex
        while end > keepAtLeast, text.utf8[text.utf8.index(before: end)] == UInt8(ascii: "0") {
            end = text.utf8.index(before: end)
        }
        return String(text[..<end])
    }
}
