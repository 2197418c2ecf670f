/// Messages taken from a queue with basic.get and held unsettled while they are looked at, so none is
/// seen twice: the ones acked leave the queue, and every other one is requeued when the look is over
/// (also after an error), which puts it back in its place in a classic queue. For sweeping and
/// listing the dead-letter queue.
public struct AMQPHeldMessages {
    /// The messages taken, oldest first.
    public let deliveries: [AMQPDelivery]
    private let connection: AMQPConnection
    private var settlement = AMQPDeliverySettlement()

    private init(connection: AMQPConnection, deliveries: [AMQPDelivery]) {
        self.connection = connection
        self.deliveries = deliveries
        for delivery in deliveries { settlement.received(delivery.tag.value) }
    }

    /// Takes up to `limit` of the messages in `queue` now (not the ones that arrive meanwhile), runs
    /// `body` with them, then requeues every one `body` did not ack.
    public static func take<T>(
        from queue: String, on connection: AMQPConnection, limit: Int = .max,
        _ body: (inout AMQPHeldMessages) throws -> T
    ) throws -> T {
        let waiting = try connection.messageCount(queue: queue)
        var deliveries: [AMQPDelivery] = []
        var failure: (any Error)?
        do {
            while deliveries.count < min(waiting, limit), let delivery = try connection.get(queue: queue) {
                deliveries.append(delivery)
            }
        } catch {
            failure = error
        }
        var held = AMQPHeldMessages(connection: connection, deliveries: deliveries)
        if let failure {
            held.requeueRest()
            throw failure
        }
        let result: T
        do {
            result = try body(&held)
        } catch {
            held.requeueRest()
            throw error
        }
        try connection.send(held.settlement.settleAll(with: .nack(requeue: true)))
        return result
    }

    /// Removes these messages from the queue.
    public mutating func ack(_ acked: some Sequence<AMQPDelivery>) throws {
        try connection.send(settlement.settle(acked.map(\.tag.value), with: .ack))
    }

    /// After an error: what is still held goes back, if the channel is still there to say so (a closed
    /// connection requeues it anyway).
    private mutating func requeueRest() {
        if connection.isOpen { try? connection.send(settlement.settleAll(with: .nack(requeue: true))) }
    }
}
