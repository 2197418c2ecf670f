import CRabbitMQ

extension AMQPConnection {
    /// Starts a manual-ack consumer on `queue`; at most `prefetch` deliveries are unacked at a time.
    public func consume(queue: String, prefetch: UInt16) throws {
        try ensureOpen()
        _ = amqp_basic_qos(state, Self.channel, 0, prefetch, 0)
        try checkLastReply("basic.qos")
        let arena = AMQPArena()
        _ = amqp_basic_consume(
            state,
            Self.channel,
            try arena.bytes(queue),
            amqp_bytes_t(len: 0, bytes: nil),
            0,
            0,
            0,
            amqp_table_t(num_entries: 0, entries: nil)
        )
        try checkLastReply("basic.consume on \(queue)")
    }

    /// The next delivery of the consumer, waiting up to `timeout`; nil when none came, so a
    /// caller's loop can check for shutdown. Heartbeats keep flowing while it waits.
    public func nextDelivery(timeout: Duration) throws -> AMQPDelivery? {
        try ensureOpen()
        if !pendingDeliveries.isEmpty {
            return pendingDeliveries.removeFirst()
        }
        let deadline = ContinuousClock.now + timeout
        while let event = try nextEvent(until: deadline) {
            if case .delivery(let delivery) = event {
                return delivery
            }
        }
        return nil
    }

    /// Takes one message from `queue` without a consumer (basic.get), to be acked like a delivery; nil when empty.
    public func get(queue: String) throws -> AMQPDelivery? {
        try ensureOpen()
        let arena = AMQPArena()
        let reply = amqp_basic_get(state, Self.channel, try arena.bytes(queue), 0)
        try check(reply, "basic.get from \(queue)")
        guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD,
            let getOK = reply.reply.decoded?.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        else { return nil }
        let tag = AMQPDeliveryTag(value: getOK.delivery_tag, connectionID: id)
        let exchange = String(getOK.exchange)
        let routingKey = String(getOK.routing_key)
        return AMQPDelivery(
            tag: tag,
            redelivered: getOK.redelivered != 0,
            exchange: exchange,
            routingKey: routingKey,
            content: try readContent()
        )
    }

    /// Acknowledges the delivery (and with `multiple`, every earlier one of this connection).
    public func ack(_ tag: AMQPDeliveryTag, multiple: Bool = false) throws {
        try ensureCurrent(tag)
        try check(status: amqp_basic_ack(state, Self.channel, tag.value, multiple ? 1 : 0), "basic.ack")
    }

    /// Refuses the delivery: `requeue` puts it back in the queue, otherwise it is dead-lettered.
    public func nack(_ tag: AMQPDeliveryTag, multiple: Bool = false, requeue: Bool) throws {
        try ensureCurrent(tag)
        try check(
            status: amqp_basic_nack(state, Self.channel, tag.value, multiple ? 1 : 0, requeue ? 1 : 0),
            "basic.nack"
        )
    }

    /// Refuses one delivery, like `nack` without `multiple`.
    public func reject(_ tag: AMQPDeliveryTag, requeue: Bool) throws {
        try ensureCurrent(tag)
        try check(status: amqp_basic_reject(state, Self.channel, tag.value, requeue ? 1 : 0), "basic.reject")
    }

    /// A tag of another connection would close the channel with PRECONDITION_FAILED; refuse it here.
    private func ensureCurrent(_ tag: AMQPDeliveryTag) throws {
        try ensureOpen()
        guard tag.connectionID == id else {
            throw AMQPError(
                .staleDelivery,
                message: "delivery \(tag.value) came on connection \(tag.connectionID), not \(id)"
            )
        }
    }
}
