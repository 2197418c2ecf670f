import Core
import Foundation
import Testing

@Suite struct BuyOrderCreatedEventTests {
    static let order = StoredBuyOrder(
        id: UUID(uuidString: "0b5f4d0e-6b2a-4c47-9a43-3b1a9c0e2f11")!, sequence: 42, clientID: "default",
        currency: .usd, currencyAmount: try! FiatAmount(parsing: "123.45"), btcRate: try! ExchangeRate(parsing: "48478.88"),
        btcAmount: BTCAmount(parsing: "0.00254647")!, rateSource: "coinbase \"v2\"",
        rateQuotedAt: "2026-11-23T19:49:43.000000Z", createdAt: "2026-11-23T19:49:44.395736Z")

    @Test func rendersTheVersionOneMessageBody() {
        let event = BuyOrderCreatedEvent(eventID: UUID(uuidString: "6F1E6A57-7D0E-4C54-9D53-0F0F1E6F1E6A")!, order: Self.order)
        #expect(
            event.json
                == #"{"event_id":"6f1e6a57-7d0e-4c54-9d53-0f0f1e6f1e6a","occurred_at":"2026-11-23T19:49:44.395736Z","#
                + #""order":{"btc_amount":"0.00254647","btc_rate":"48478.88","client_id":"default","#
                + #""created_at":"2026-11-23T19:49:44.395736Z","currency":"USD","currency_amount":"123.45","#
                + #""id":"0b5f4d0e-6b2a-4c47-9a43-3b1a9c0e2f11","rate_quoted_at":"2026-11-23T19:49:43.000000Z","#
                + #""rate_source":"coinbase \"v2\"","sequence":42},"type":"buy_order.created","version":1}"#)
    }

    @Test func decodesWhatItRenders() throws {
        let event = BuyOrderCreatedEvent(order: Self.order)
        #expect(try BuyOrderCreatedEvent(json: Data(event.json.utf8)) == event)
    }
}
