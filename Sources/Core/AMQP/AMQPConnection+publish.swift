import CRabbitMQ

extension AMQPConnection {
    /// Publishes one message and returns once the broker confirmed it.
    /// Throws `publishNacked`, `unroutable` (no queue bound), `timeout` (no confirm in time) or a connection error.
    public func publish(_ message: AMQPMessage, timeout: Duration = .seconds(10)) throws {
        switch try publishBatch([message], timeout: timeout)[0] {
        case .confirmed:
            return
        case .nacked:
            throw AMQPError(.publishNacked, message: "the broker nacked a message to \(message.exchange)")
        case .returned(let replyCode, let replyText):
            throw AMQPError(
                .unroutable,
                replyCode: replyCode,
                message: "\(replyText): exchange \(message.exchange), routing key \(message.routingKey)"
            )
        case .unconfirmed:
            throw AMQPError(.timeout, message: "no publisher confirm within \(timeout)")
        }
    }

    /// Publishes every message, then waits until the broker answered each or `timeout` passed.
    /// Returns one outcome per message, in order; only `.confirmed` ones are safely stored.
    /// Throws `blocked` before sending anything while the broker blocks publishers, and any
    /// connection error, in which case none counts as confirmed.
    public func publishBatch(
        _ messages: [AMQPMessage],
        timeout: Duration = .seconds(10)
    ) throws
        -> [AMQPPublishOutcome]
    {
        guard !messages.isEmpty else { return [] }
        try processIncoming()
        guard !isBlocked else {
            throw AMQPError(.blocked, message: "the broker blocked publishing (memory or disk alarm)")
        }
        try enableConfirms()
        let deadline = ContinuousClock.now + timeout
        var tracker = AMQPConfirmTracker(firstTag: nextPublishTag, messages: messages)
        for message in messages {
            try send(message)
        }
        while !tracker.isComplete, let event = try nextEvent(until: deadline) {
            switch event {
            case .ack(let tag, let multiple): tracker.ack(tag: tag, multiple: multiple)
            case .nack(let tag, let multiple): tracker.nack(tag: tag, multiple: multiple)
            case .returned(let returned): tracker.returned(returned)
            case .delivery(let delivery): pendingDeliveries.append(delivery)
            }
        }
        return tracker.outcomes
    }

    /// Puts the channel in confirm mode (confirm.select); publishing does this on first use.
    func enableConfirms() throws {
        try ensureOpen()
        guard !confirmsEnabled else { return }
        _ = amqp_confirm_select(state, Self.channel)
        try checkLastReply("confirm.select")
        confirmsEnabled = true
        nextPublishTag = 1
    }

    private func send(_ message: AMQPMessage) throws {
        let arena = AMQPArena()
        var properties = amqp_basic_properties_t()
        var flags = amqp_flags_t(AMQP_BASIC_DELIVERY_MODE_FLAG)
        properties.delivery_mode = message.persistent ? 2 : 1
        if let contentType = message.contentType {
            flags |= amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG)
            properties.content_type = try arena.bytes(contentType)
        }
        if let messageID = message.messageID {
            flags |= amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG)
            properties.message_id = try arena.bytes(messageID)
        }
        if !message.headers.isEmpty {
            flags |= amqp_flags_t(AMQP_BASIC_HEADERS_FLAG)
            properties.headers = try arena.table(message.headers)
        }
        properties._flags = flags
        let exchange = try arena.bytes(message.exchange)
        let routingKey = try arena.bytes(message.routingKey)
        let status = message.body.withUnsafeBytes { body in
            amqp_basic_publish(
                state,
                Self.channel,
                exchange,
                routingKey,
                message.mandatory ? 1 : 0,
                0,
                &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress))
            )
        }
        try check(status: status, "basic.publish to \(message.exchange)")
        nextPublishTag += 1
    }
}
