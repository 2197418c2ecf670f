import Core
import Foundation
import Testing

@testable import ReadModelSync

@Suite struct ProjectedEventTests {
    static let quote = QuoteCreatedEvent(
        clientID: "default",
        quote: .init(
            id: UUID(), currency: .eur, rate: try! ExchangeRate(parsing: "44000.5"), source: "coinbase",
            quotedAt: "2026-11-23T19:49:44.395736Z", expiresAt: "2026-11-23T19:50:14.395736Z"))

    @Test func keepsAQuoteEventOnlyAsTheClientsActivity() throws {
        let event = try ProjectedEvent(routingKey: "quote.created", body: Array(Self.quote.json.utf8))
        #expect(event.change == .none)
        #expect(
            event.activity
                == ActivityRecord(
                    eventID: Self.quote.eventID, type: "quote.created", clientID: "default",
                    occurredAt: "2026-11-23T19:49:44.395736Z", body: Self.quote.json))
        // Redriven through the default exchange, the body says its type.
        #expect(try ProjectedEvent(routingKey: "read_model_sync", body: Array(Self.quote.json.utf8)) == event)
    }

    @Test func refusesAQuoteEventThatIsNotOne() {
        let broken = Self.quote.json.replacingOccurrences(of: #""rate":"44000.50""#, with: #""rate":44000.5"#)
        #expect(broken != Self.quote.json)
        #expect(throws: InvalidEvent.self) { try ProjectedEvent(routingKey: "quote.created", body: Array(broken.utf8)) }
    }
}
