import Core

/// `dead-letters list` and `redrive` over one broker connection, with basic.get: blocking, for the command line.
///
/// Nothing is lost or reordered. Messages taken with basic.get stay unacked until settled; the ones left
/// in place are nacked with requeue, and the classic dead-letter queue puts requeued messages back at
/// their old positions (a closed connection does the same for whatever was still unacked). A message
/// redriven is acked only once the broker confirmed its copy on the live queue: a crash between the two
/// leaves it in both queues, which is harmless, since the read model's upserts are idempotent.
struct DeadLetterAdmin {
    let connection: AMQPConnection
    let topology: AMQPTopology

    /// Every message parked right now, oldest first; all of them stay parked, in the same order.
    func list() throws -> [DeadLetter] {
        try AMQPHeldMessages.take(from: topology.deadLetterQueue, on: connection) { held in
            held.deliveries.map(DeadLetter.init)
        }
    }

    /// Moves the parked messages that `select` picks back to the live queue, in their order; returns them.
    /// Looks at each message parked when it starts once, so a redriven message the consumer parks again
    /// is not taken twice. A copy the broker does not confirm stops it, and leaves that message parked.
    func redrive(where select: (DeadLetter) -> Bool) throws -> [DeadLetter] {
        var moved: [DeadLetter] = []
        do {
            try AMQPHeldMessages.take(from: topology.deadLetterQueue, on: connection) { held in
                for delivery in held.deliveries {
                    let letter = DeadLetter(delivery)
                    guard select(letter) else { continue }
                    try connection.publish(DeadLetter.redriven(delivery, to: topology.queue))
                    try held.ack([delivery])
                    moved.append(letter)
                }
            }
        } catch {
            throw RedriveStopped(moved: moved, error: error)
        }
        return moved
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
