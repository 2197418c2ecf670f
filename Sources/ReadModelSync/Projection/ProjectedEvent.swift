import Core
import Foundation

/// A message as the read model takes it: an order, a client's or a key's new state, or an event the
/// read model keeps nothing of (the BTC limit's changes, quotes), which is acked once it is known valid.
enum ProjectedEvent: Sendable, Equatable {
    case order(StoredBuyOrder)
    case client(AccessEvent.Client)
    case key(AccessEvent.Key)
    case ignored

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
        if type == BuyOrderCreatedEvent.type {
            self = .order(try BuyOrderCreatedEvent(json: Data(body)).order)
            return
        }
        if type == QuoteCreatedEvent.type {
            _ = try QuoteCreatedEvent(json: Data(body))
            self = .ignored
            return
        }
        guard AccessEvent.Kind(rawValue: type) != nil else {
            throw InvalidEvent(description: "unknown type \(type)")
        }
        let event = try AccessEvent(json: Data(body))
        guard event.type.rawValue == type else {
            throw InvalidEvent(description: "a \(event.type.rawValue) event published as \(type)")
        }
        switch event.type {
        case .clientCreated, .clientRateLimitChanged: self = .client(event.client!)
        case .apiKeyCreated, .apiKeyRevoked: self = .key(event.apiKey!)
        case .limitChanged: self = .ignored
        }
    }

    var order: StoredBuyOrder? {
        if case .order(let order) = self { return order }
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
