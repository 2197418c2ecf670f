import Core
import Foundation

/// A message as the read model takes it: what it changes (an order, a client's or a key's new state,
/// or nothing but the activity, as the BTC limit's changes and quotes), and the event as the activity feed keeps it.
struct ProjectedEvent: Sendable, Equatable {
    enum Change: Sendable, Equatable {
        case order(StoredBuyOrder)
        case client(AccessEvent.Client)
        case key(AccessEvent.Key)
        /// Kept only as activity.
        case none
    }

    var change: Change
    var activity: ActivityRecord

    init(_ change: Change, activity: ActivityRecord) {
        self.change = change
        self.activity = activity
    }

    /// Decodes and validates a message body. The type is the routing key the relay published it with;
    /// a message that came another way (a redrive through the default exchange) says it in its body.
    init(routingKey: String, body: [UInt8]) throws(InvalidEvent) {
        let type: String
        if routingKey == BuyOrderCreatedEvent.type || routingKey == QuoteCreatedEvent.type
            || AccessEvent.Kind(rawValue: routingKey) != nil
        {
            type = routingKey
        } else {
            type = try Self.type(of: body)
        }
        guard let text = String(validating: body, as: UTF8.self) else { throw InvalidEvent(description: "not UTF-8") }
        if type == BuyOrderCreatedEvent.type {
            let event = try BuyOrderCreatedEvent(json: Data(body))
            self.init(
                .order(event.order),
                activity: ActivityRecord(
                    eventID: event.eventID, type: type, clientID: event.order.clientID, occurredAt: event.occurredAt,
                    body: text))
            return
        }
        if type == QuoteCreatedEvent.type {
            let event = try QuoteCreatedEvent(json: Data(body))
            self.init(
                .none,
                activity: ActivityRecord(
                    eventID: event.eventID, type: type, clientID: event.clientID, occurredAt: event.occurredAt,
                    body: text))
            return
        }
        guard AccessEvent.Kind(rawValue: type) != nil else {
            throw InvalidEvent(description: "unknown type \(type)")
        }
        let event = try AccessEvent(json: Data(body))
        guard event.type.rawValue == type else {
            throw InvalidEvent(description: "a \(event.type.rawValue) event published as \(type)")
        }
        let activity = ActivityRecord(
            eventID: event.eventID, type: type, clientID: event.clientID, occurredAt: event.occurredAt, body: text)
        switch event.type {
        case .clientCreated, .clientRateLimitChanged: self.init(.client(event.client!), activity: activity)
        case .apiKeyCreated, .apiKeyRevoked: self.init(.key(event.apiKey!), activity: activity)
        case .limitChanged: self.init(.none, activity: activity)
        }
    }

    var order: StoredBuyOrder? {
        if case .order(let order) = change { return order }
        return nil
    }

    private struct Envelope: Decodable {
        let type: String
    }

    private static func type(of body: [UInt8]) throws(InvalidEvent) -> String {
        do {
            return try JSONDecoder().decode(Envelope.self, from: Data(body)).type
        } catch {
            throw InvalidEvent(description: "not JSON with a type")
        }
    }
}

/// One event as the activity feed keeps it: its id, type, client (nil for the operator's) and time,
/// and the message body exactly as it was published.
struct ActivityRecord: Sendable, Equatable {
    var eventID: UUID
    var type: String
    var clientID: String?
    /// RFC 3339.
    var occurredAt: String
    var body: String
}
