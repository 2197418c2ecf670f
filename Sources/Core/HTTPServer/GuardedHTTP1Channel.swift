import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with the service's connection rules: the same pipeline as
/// `HTTP1Channel` (NIO's HTTP/1 codec, Hummingbird's HTTP types codec and request loop), with
/// `HTTPConnectionGuard` in place of Hummingbird's idle handler and `RequestBytesWatcher` in front.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    /// A connection with its pipeline set up and reading paused. It is wrapped for Hummingbird's
    /// request loop only once the server handles it: NIO drops a connection accepted as the listener
    /// closes, and a dropped `NIOAsyncChannel` stops the process with "Deinited NIOAsyncWriter
    /// without calling finish()"; a dropped `Connection` is closed by its guard instead.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let timeouts: HTTPConnectionState.Timeouts

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            let decoder = HTTP1Channel.Configuration.DecoderConfiguration()
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = decoder.maxHeaderFieldSize
            limits.maxHeaderListSize = decoder.maxHeaderListSize
            limits.maxHeaderFieldCount = decoder.maxHeaderFieldCount
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel reads requests in order
                withErrorHandling: false,  // Hummingbird's request loop answers parse errors
                withOutboundHeaderValidation: false,  // HTTP types validate the fields
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            let connectionGuard = HTTPConnectionGuard(timeouts: timeouts)
            try pipeline.addHandler(RequestBytesWatcher(connectionGuard), position: .first)
            try pipeline.addHandler(connectionGuard)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.syncOptions?.setOption(.autoRead, value: false)
            return Connection(channel: channel)
        }
    }

    func handle(value connection: Connection, logger: Logger) async {
        let channel = connection.channel
        let wrapped = try? await channel.eventLoop.submit {
            let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            try channel.syncOptions?.setOption(.autoRead, value: true)
            return asyncChannel
        }.get()
        guard let wrapped else {
            try? await channel.close()
            return
        }
        await handleHTTP(asyncChannel: wrapped, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the header, idle and drain rules of `settings`.
    public static func service(_ settings: HTTPServerSettings) -> HTTPServerBuilder {
        let timeouts = HTTPConnectionState.Timeouts(
            header: TimeAmount(settings.headerTimeout), idle: TimeAmount(settings.idleTimeout),
            drainGrace: TimeAmount(settings.drainGrace))
        return HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, timeouts: timeouts) }
    }
}
