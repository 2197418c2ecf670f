import Core

/// `dead-letters list` and `redrive` over one broker connection, with basic.get: blocking, for the command line.
///
/// Nothing is lost or reordered. Messages taken with basic.get stay unacked until settled; the ones left
/// in place are nacked with requeue, and the classic dead-letter queue puts requeued messages back at
/// their old positions (a closed connection does the same for whatever was still unacked). A message
/// redriven is acked only once the broker confirmed its copy on the live queue: a crash between the two
/// leaves it in both queues, which is harmless, since the read model's upserts are idempotent.
struct DeadLetterQueue {
    let connection: AMQPConnection
    let topology: AMQPTopology

    /// Every message parked right now, oldest first; all of them stay parked, in the same order.
    func list() throws -> [DeadLetter] {
        try withHeldMessages { held, _ in
            held.map(DeadLetter.init)
        }
    }

    /// Moves the parked messages that `select` picks back to the live queue, in their order; returns them.
    /// Looks at each message parked when it starts once, so a redriven message the consumer parks again
    /// is not taken twice. A copy the broker does not confirm stops it, and leaves that message parked.
    func redrive(where select: (DeadLetter) -> Bool) throws -> [DeadLetter] {
        var moved: [DeadLetter] = []
        do {
            try withHeldMessages { held, settle in
                for delivery in held {
                    let letter = DeadLetter(delivery)
                    guard select(letter) else { continue }
                    try connection.publish(DeadLetter.redriven(delivery, to: topology.queue))
                    try settle(delivery)
                    moved.append(letter)
                }
            }
        } catch {
            throw RedriveStopped(moved: moved, error: error)
        }
        return moved
    }

    /// Takes every message parked when it starts (basic.get) and runs `body` with them and a function
    /// that acks one; then requeues the rest in one multiple nack, so they return to their places.
    private func withHeldMessages<T>(
        _ body: ([AMQPDelivery], _ settle: (AMQPDelivery) throws -> Void) throws -> T
    ) throws -> T {
        let parked = try connection.messageCount(queue: topology.deadLetterQueue)
        var held: [AMQPDelivery] = []
        var acked: Set<UInt64> = []
        /// A multiple nack must name a tag still unsettled (the broker closes the channel otherwise),
        /// and settles it with every unsettled one before it.
        func requeueUnsettled() throws {
            if let last = held.last(where: { !acked.contains($0.tag.value) }) {
                try connection.nack(last.tag, multiple: true, requeue: true)
            }
        }
        let result: T
        do {
            while held.count < parked, let delivery = try connection.get(queue: topology.deadLetterQueue) {
                held.append(delivery)
            }
            result = try body(held) { delivery in
                try connection.ack(delivery.tag)
                acked.insert(delivery.tag.value)
            }
        } catch {
            if connection.isOpen { try? requeueUnsettled() }
            throw error
        }
        try requeueUnsettled()
        return result
    }
}

/// A redrive that stopped part way; `moved` went back to the live queue before it stopped.
struct RedriveStopped: Error, CustomStringConvertible {
    let moved: [DeadLetter]
    let error: any Error

    var description: String {
        "stopped after moving \(moved.count) message(s): \(String(reflecting: error)); the rest stay parked"
    }
}
