import Core
import Foundation
import Testing

/// Every event's ids are written in lower case, as order events and every answer write them.
@Suite struct EventIDCaseTests {
    static let eventID = UUID(text: "6f1e6a57-7d0e-4c54-9d53-0f0f1e6f1e6a")!

    @Test func aQuoteEventWritesItsIdsInLowerCase() throws {
        let event = QuoteCreatedEvent(
            eventID: Self.eventID, clientID: "default",
            quote: .init(
                id: UUID(text: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")!, currency: .eur,
                rate: try ExchangeRate(parsing: "44000.5"), source: "coinbase",
                quotedAt: "2026-11-23T19:49:44.395736Z", expiresAt: "2026-11-23T19:50:14.395736Z"))
        #expect(event.json.contains(#""event_id":"6f1e6a57-7d0e-4c54-9d53-0f0f1e6f1e6a""#), "\(event.json)")
        #expect(event.json.contains(#""id":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d""#), "\(event.json)")
        #expect(try QuoteCreatedEvent(json: Data(event.json.utf8)) == event)
    }

    @Test func anAccessEventWritesItsIdInLowerCase() throws {
        let event = AccessEvent(
            eventID: Self.eventID, type: .clientCreated, occurredAt: "2026-11-23T19:49:44.395736Z", clientID: "acme",
            client: .init(id: "acme", createdAt: "2026-11-23T19:49:44.395736Z", rateLimitPerS: nil, rateLimitBurst: nil, version: 1))
        #expect(event.json.contains(#""event_id":"6f1e6a57-7d0e-4c54-9d53-0f0f1e6f1e6a""#), "\(event.json)")
        #expect(try AccessEvent(json: Data(event.json.utf8)) == event)
    }
}
