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
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let timeouts: HTTPConnectionState.Timeouts

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
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
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
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
