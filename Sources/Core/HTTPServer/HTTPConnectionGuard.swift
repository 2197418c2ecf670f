import NIOCore
import NIOHTTP1

/// Applies `HTTPConnectionState` to one connection: it sits between NIO's HTTP/1 decoder and
/// Hummingbird's codec (where a request still has its HTTP version), keeps one timer armed at the
/// state's deadline, adds `Connection: close` to a last response, closes as the state says, and
/// takes NIO's `ChannelShouldQuiesceEvent` (the server stopped listening) as the start of the drain.
/// It replaces Hummingbird's `HTTPConnectionStateHandler`, which measures idleness up to a complete
/// head (so it cannot time a slow head apart from an idle connection) and closes an idle connection
/// at once when the server quiesces, losing a request already on its way.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var state: HTTPConnectionState
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(timeouts: HTTPConnectionState.Timeouts) {
        self.state = HTTPConnectionState(timeouts: timeouts, openedAt: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    /// Bytes reached the socket, before the decoder: `RequestBytesWatcher` calls this.
    func bytesArrived() {
        guard state.wantsTimeOfBytes else { return }
        state.bytesArrived(at: .now())
        armTimer()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let verdict: HTTPConnectionState.Inbound
        switch unwrapInboundIn(data) {
        case .head(let head): verdict = state.headReceived(keepAlive: head.isKeepAlive, at: .now())
        case .body: verdict = state.bodyReceived()
        case .end: verdict = state.endReceived()
        }
        armTimer()
        if verdict == .forward { context.fireChannelRead(data) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, state.parseErrorReceived() == .drop { return }
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        perform(state.drainBegan(at: .now()), context: context)
        armTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.connectionClosed()
        cancelTimer()
        context.fireChannelInactive()
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            if state.responseHeadWritten() {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .end:
            let close = state.responseEnded(at: .now())
            armTimer()
            guard close == .closeOutput else {
                context.write(data, promise: promise)
                return
            }
            // Half-close once the response is sent, so that it reaches the client before the FIN; the
            // client's own close then ends the connection (or the state's deadline does).
            let written = context.eventLoop.makePromise(of: Void.self)
            context.write(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in
                context.close(mode: .output, promise: nil)
            }
            if let promise { written.futureResult.cascade(to: promise) }
        case .head, .body:
            context.write(data, promise: promise)
        }
    }

    // MARK: - Timer

    /// Keeps one timer armed no later than the state's deadline. A later deadline keeps the timer
    /// where it is (it re-arms when it fires), so a busy connection schedules about one timer per
    /// header timeout instead of one per request.
    private func armTimer() {
        guard let context, let deadline = state.deadline else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            guard let context = self.context else { return }
            perform(state.timerFired(at: .now()), context: context)
            armTimer()
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func perform(_ close: HTTPConnectionState.Close, context: ChannelHandlerContext) {
        switch close {
        case .none: break
        case .close: context.close(mode: .all, promise: nil)
        case .closeOutput: context.close(mode: .output, promise: nil)
        }
    }
}

/// The first handler of the pipeline: tells the guard when bytes arrive, which the decoder hides
/// until a head is complete.
final class RequestBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connectionGuard: HTTPConnectionGuard

    init(_ connectionGuard: HTTPConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connectionGuard.bytesArrived()
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension HTTPConnectionGuard: Sendable {}

@available(*, unavailable)
extension RequestBytesWatcher: Sendable {}
