import CRabbitMQ
import Core

extension AMQPConnection {
    /// Deletes a test's queue (what production never does).
    public func deleteQueue(_ name: String) throws {
        try ensureOpen()
        let arena = AMQPArena()
        _ = amqp_queue_delete(state, Self.channel, try arena.bytes(name), 0, 0)
        try checkLastReply("queue.delete \(name)")
    }

    /// Deletes a test's exchange.
    public func deleteExchange(_ name: String) throws {
        try ensureOpen()
        let arena = AMQPArena()
        _ = amqp_exchange_delete(state, Self.channel, try arena.bytes(name), 0)
        try checkLastReply("exchange.delete \(name)")
    }
}
