import Core
import Foundation

/// A message parked in the dead-letter queue, as the operator's commands show it.
///
/// Two paths lead there: the consumer publishes a message it can never apply with its reason in
/// `x-death-reason` (and the time in `x-death-time`); the broker dead-letters one that reached the
/// queue's delivery limit or was rejected, adding an `x-death` entry (reason `delivery_limit`,
/// `rejected`, `expired`, with its queue and time), newest first.
struct DeadLetter: Equatable {
    let messageID: String?
    let reason: String
    /// When it was dead-lettered, seconds since the epoch; nil if the message does not say.
    let time: UInt64?
    /// The order of the event it carries; nil if the body is not a valid event.
    let orderID: UUID?

    init(_ delivery: AMQPDelivery) {
        messageID = delivery.messageID
        orderID = try? BuyOrderCreatedEvent(json: Data(delivery.body)).order.id
        let latestDeath: [String: AMQPFieldValue]? =
            if case .array(let deaths)? = delivery.headers["x-death"], case .table(let death)? = deaths.first {
                death
            } else {
                nil
            }
        if case .string(let reason)? = delivery.headers[AMQPMessage.deathReasonHeader] {
            self.reason = reason
            self.time = Self.timestamp(delivery.headers[AMQPMessage.deathTimeHeader])
        } else if let latestDeath, case .string(let reason)? = latestDeath["reason"] {
            if case .string(let queue)? = latestDeath["queue"] {
                self.reason = "\(reason) (by the broker, from \(queue))"
            } else {
                self.reason = "\(reason) (by the broker)"
            }
            self.time = Self.timestamp(latestDeath["time"])
        } else {
            self.reason = "no reason given"
            self.time = nil
        }
    }

    private static func timestamp(_ value: AMQPFieldValue?) -> UInt64? {
        switch value {
        case .timestamp(let seconds)?: seconds
        case .integer(let seconds)? where seconds >= 0: UInt64(seconds)
        default: nil
        }
    }

    /// `2026-11-23T21:41:02Z`, or `-` when unknown.
    var timeText: String {
        guard let time else { return "-" }
        return Date(timeIntervalSince1970: TimeInterval(time)).formatted(.iso8601)
    }

    /// One line of `dead-letters list`: id, time, reason.
    var line: String {
        "\(messageID ?? "(no message id)")  \(timeText)  \(reason)"
    }

    /// The headers a redriven copy leaves behind: the consumer's verdict, and the quorum queue's count
    /// of earlier deliveries, so that the live queue judges it afresh. The broker's `x-death` history stays.
    static let headersClearedOnRedrive = [AMQPMessage.deathReasonHeader, AMQPMessage.deathTimeHeader, "x-delivery-count"]

    /// The copy of `delivery` that goes back to `queue`, through the default exchange, so it reaches that
    /// queue alone (not every queue bound to the events' exchange).
    static func redriven(_ delivery: AMQPDelivery, to queue: String) -> AMQPMessage {
        var headers = delivery.headers
        for header in headersClearedOnRedrive { headers[header] = nil }
        return AMQPMessage(
            exchange: "", routingKey: queue, body: delivery.body, messageID: delivery.messageID,
            contentType: delivery.contentType, persistent: true, headers: headers)
    }
}
