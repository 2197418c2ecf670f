import CRabbitMQ

/// The exchanges and queues of the buy-order events (DESIGN.md, Events), by name so tests can use their own.
///
/// `queue` is a quorum queue bound to the topic `exchange` by `bindingKey` (every event: orders,
/// clients, keys, the limit; `routingKey` is the orders' own). A message returned to it
/// more than `deliveryLimit` times, or rejected without requeue, goes through the fanout
/// `deadLetterExchange` to `deadLetterQueue`.
public struct AMQPTopology: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String
    public var bindingKey: String
    public var queue: String
    public var deadLetterExchange: String
    public var deadLetterQueue: String
    public var deliveryLimit: Int

    public init(
        exchange: String = "buy_orders",
        routingKey: String = "buy_order.created",
        bindingKey: String = "#",
        queue: String = "read_model_sync",
        deadLetterExchange: String = "buy_orders.dead_letter",
        deadLetterQueue: String = "read_model_sync.dead_letter",
        deliveryLimit: Int = 5
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.bindingKey = bindingKey
        self.queue = queue
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterQueue = deadLetterQueue
        self.deliveryLimit = deliveryLimit
    }

    /// The arguments `queue` is declared with; a redeclaration must use the same ones.
    public var queueArguments: [String: AMQPFieldValue] {
        [
            "x-queue-type": "quorum",
            "x-delivery-limit": .integer(Int64(deliveryLimit)),
            "x-dead-letter-exchange": .string(deadLetterExchange),
        ]
    }
}

extension AMQPConnection {
    /// Declares the whole topology; idempotent while the arguments stay the same. Returns the queues
    /// that exist but cannot be reached now (see `declareQueueUnlessAbsent`): empty when all is well.
    /// Different arguments on an existing queue close the channel (`channelClosed`, reply code 406).
    ///
    /// The dead-letter queue is a classic queue, kept on one node of a cluster: while that node is down
    /// the relay and the projection go on without it, on the quorum queue, which has a member on every node.
    @discardableResult
    public func declare(_ topology: AMQPTopology) throws -> [String] {
        try declareExchange(topology.exchange, type: "topic")
        try declareExchange(topology.deadLetterExchange, type: "fanout")
        let deadLetterQueue = try declareQueueUnlessAbsent(topology.deadLetterQueue)
        if deadLetterQueue {
            try bindQueue(topology.deadLetterQueue, exchange: topology.deadLetterExchange, routingKey: "")
        }
        try declareQueue(topology.queue, arguments: topology.queueArguments)
        try bindQueue(topology.queue, exchange: topology.exchange, routingKey: topology.bindingKey)
        return deadLetterQueue ? [] : [topology.deadLetterQueue]
    }

    /// Declares a durable exchange of `type` (direct, fanout, topic, headers).
    public func declareExchange(_ name: String, type: String) throws {
        try ensureOpen()
        let arena = AMQPArena()
        _ = amqp_exchange_declare(
            state,
            Self.channel,
            try arena.bytes(name),
            try arena.bytes(type),
            0,
            1,
            0,
            0,
            amqp_table_t(num_entries: 0, entries: nil)
        )
        try checkLastReply("exchange.declare \(name)")
    }

    /// Declares a durable queue.
    public func declareQueue(_ name: String, arguments: [String: AMQPFieldValue] = [:]) throws {
        try ensureOpen()
        let arena = AMQPArena()
        _ = amqp_queue_declare(state, Self.channel, try arena.bytes(name), 0, 1, 0, 0, try arena.table(arguments))
        try checkLastReply("queue.declare \(name)")
    }

    /// Declares a durable queue like `declareQueue`; false when it exists but is absent: a durable classic
    /// queue whose node is down answers a declaration with 404 ("home node ... is down or inaccessible",
    /// a declaration that would create it never does). The channel that answer closed is opened again.
    public func declareQueueUnlessAbsent(_ name: String) throws -> Bool {
        try ensureOpen()
        let arena = AMQPArena()
        _ = amqp_queue_declare(state, Self.channel, try arena.bytes(name), 0, 1, 0, 0, amqp_table_t(num_entries: 0, entries: nil))
        let reply = amqp_get_rpc_reply(state)
        guard let error = Self.error(reply, state, "queue.declare \(name)") else { return true }
        guard error.code == .channelClosed, error.replyCode == UInt16(AMQP_NOT_FOUND) else { throw fail(error) }
        try reopenChannel()
        return false
    }

    public func bindQueue(_ queue: String, exchange: String, routingKey: String) throws {
        try ensureOpen()
        let arena = AMQPArena()
        _ = amqp_queue_bind(
            state,
            Self.channel,
            try arena.bytes(queue),
            try arena.bytes(exchange),
            try arena.bytes(routingKey),
            amqp_table_t(num_entries: 0, entries: nil)
        )
        try checkLastReply("queue.bind \(queue) to \(exchange)")
    }

    /// Ready messages in `queue` (a passive declare); a missing queue closes the channel (reply code 404).
    public func messageCount(queue: String) throws -> Int {
        try ensureOpen()
        let arena = AMQPArena()
        let declared = amqp_queue_declare(
            state,
            Self.channel,
            try arena.bytes(queue),
            1,
            0,
            0,
            0,
            amqp_table_t(num_entries: 0, entries: nil)
        )
        try checkLastReply("queue.declare (passive) \(queue)")
        return Int(declared?.pointee.message_count ?? 0)
    }
}
