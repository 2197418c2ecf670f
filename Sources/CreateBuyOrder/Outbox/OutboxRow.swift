import Core
import Foundation

/// One claimed outbox row and the message it becomes, or why it cannot become one.
struct OutboxRow {
    enum Rendering: Equatable {
        case message(AMQPMessage)
        /// The row can never be published as it is: it is set aside with this reason.
        case unrenderable(reason: String)
    }

    let sequence: Int64
    let rendering: Rendering

    /// Renders a row of `OutboxStore.claim` for `exchange`: the stored payload as it is, or the event of its order.
    init(row: PostgresRow, exchange: String) throws {
        sequence = try row.int("outbox_sequence")
        let routingKey = try row.text("routing_key")
        let eventID = try row.text("event_id")
        do {
            let body = try Self.body(of: row, eventID: eventID, routingKey: routingKey)
            rendering = .message(
                AMQPMessage(exchange: exchange, routingKey: routingKey, body: Array(body.utf8), messageID: eventID))
        } catch {
            rendering = .unrenderable(reason: error.description)
        }
    }

    struct Unrenderable: Error, CustomStringConvertible {
        let description: String
    }

    private static func body(of row: PostgresRow, eventID: String, routingKey: String) throws(Unrenderable) -> String {
        if let payload = row["payload"] {
            // A stored buy-order event must be one read-model-sync can apply; other event types pass as they are.
            if routingKey == BuyOrderCreatedEvent.routingKey {
                do {
                    _ = try BuyOrderCreatedEvent(json: Data(payload.utf8))
                } catch {
                    throw Unrenderable(description: "the stored payload is not a valid event: \(error.description)")
                }
            }
            return payload
        }
        guard let id = UUID(text: eventID) else { throw Unrenderable(description: "event_id \(eventID) is unreadable") }
        guard row["id"] != nil else {
            throw Unrenderable(description: "order \(row["buy_order_id"] ?? "NULL") does not exist")
        }
        do {
            return BuyOrderCreatedEvent(eventID: id, order: try StoredBuyOrder(row: row)).json
        } catch let error as PostgresError {
            throw Unrenderable(description: "order \(row["buy_order_id"] ?? "NULL") is unreadable: \(error.message)")
        } catch {
            throw Unrenderable(description: "order \(row["buy_order_id"] ?? "NULL") is unreadable")
        }
    }
}
