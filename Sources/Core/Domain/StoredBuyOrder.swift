import Foundation

/// A buy order with every field the write model stores; what the created event carries.
public struct StoredBuyOrder: Sendable, Equatable, Decodable {
    public var id: UUID
    /// The write model's sequence: orders created in the same microsecond are ordered by it.
    public var sequence: Int64
    public var clientID: String
    public var currency: Currency
    public var currencyAmount: FiatAmount
    public var btcRate: ExchangeRate
    public var btcAmount: BTCAmount
    public var rateSource: String
    /// RFC 3339 UTC with microseconds, as `BuyOrderView.createdAtSQL` renders it.
    public var rateQuotedAt: String
    public var createdAt: String
    /// The quote whose rate the order took; nil for an order at the market price.
    public var quoteID: UUID?

    public init(
        id: UUID, sequence: Int64, clientID: String, currency: Currency, currencyAmount: FiatAmount,
        btcRate: ExchangeRate, btcAmount: BTCAmount, rateSource: String, rateQuotedAt: String, createdAt: String,
        quoteID: UUID? = nil
    ) {
        self.id = id
        self.sequence = sequence
        self.clientID = clientID
        self.currency = currency
        self.currencyAmount = currencyAmount
        self.btcRate = btcRate
        self.btcAmount = btcAmount
        self.rateSource = rateSource
        self.rateQuotedAt = rateQuotedAt
        self.createdAt = createdAt
        self.quoteID = quoteID
    }

    /// What clients see of it.
    public var view: BuyOrderView {
        BuyOrderView(
            id: id.lowercaseText, createdAt: createdAt, currency: currency.code,
            currencyAmount: currencyAmount.description, btcRate: btcRate.description, btcAmount: btcAmount.description,
            quoteID: quoteID?.lowercaseText)
    }

    enum CodingKeys: String, CodingKey {
        case id, sequence, currency
        case clientID = "client_id"
        case currencyAmount = "currency_amount"
        case btcRate = "btc_rate"
        case btcAmount = "btc_amount"
        case rateSource = "rate_source"
        case rateQuotedAt = "rate_quoted_at"
        case createdAt = "created_at"
        case quoteID = "quote_id"
    }
}

extension FiatAmount: Codable {
    /// Only a JSON string, never a number, so no value passes through a floating-point type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = try FiatAmount(parsing: try container.decode(String.self))
        } catch let error as FiatAmount.ParsingError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "amount \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension BTCAmount: Codable {
    /// Only a JSON string with at most 8 decimals, never a number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let amount = BTCAmount(parsing: try container.decode(String.self)), amount.satoshis > 0 else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "btc_amount must be a positive decimal string with at most 8 decimals")
        }
        self = amount
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
