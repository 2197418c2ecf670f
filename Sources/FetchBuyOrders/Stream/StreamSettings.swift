import Core

/// How `GET /v1/buy_orders/stream` behaves: `STREAM_MAX_PER_CLIENT` and `STREAM_BUFFER_EVENTS` from the
/// environment, the rest fixed (tests shorten them).
struct StreamSettings: Sendable {
    /// Open streams per client and instance; one more is a 429.
    var maxPerClient = 100
    /// Orders a stream may have waiting to be written; past it the reader has fallen behind and the stream
    /// is closed (the client resumes with `Last-Event-ID`).
    var bufferEvents = 1000
    /// A comment line this often keeps proxies and clients from timing the stream out.
    var heartbeat = Duration.seconds(15)
    /// How often each stream checks that its client is still there (a client that left frees its place
    /// in `maxPerClient` within this).
    var liveness = Duration.seconds(1)
    /// The SSE `retry:` hint: how long a client waits before it reconnects.
    var retryHint = Duration.seconds(2)
    /// The fan-out reads at most once per this, so that commits arriving close together are one read...
    var coalesce = Duration.milliseconds(10)
    /// ...and, while many streams are open, once per `coalescePerStream` times their number, up to
    /// `maxCoalesce`: every read is a write to each stream with news, and a write costs about as much
    /// however little it carries, so this holds the fan-out near 10,000 writes a second (1,000 streams
    /// on 2 cores at 1,000 orders/s, bench/stream_fanout.sh: with 10 ms, about 100,000 writes a second,
    /// a delivery p99 of 2.1 s; with 100 ms, 184 ms).
    var coalescePerStream = Duration.microseconds(100)
    var maxCoalesce = Duration.milliseconds(100)
    /// While committed orders wait for an older transaction to end, the fan-out reads again this often.
    var pendingPoll = Duration.milliseconds(10)
    /// Without any signal, the fan-out reads anyway this often (a lost signal costs at most this).
    var idleRead = Duration.seconds(1)
    /// Orders per read of the fan-out, and per read of a resuming stream.
    var readLimit = 1000
    /// At shutdown, a stream whose reader does not take its last bytes within this is cut.
    var shutdownGrace = Duration.seconds(2)

    init() {}

    /// How long the fan-out waits after a read before the next one, with `streams` open.
    func coalesce(streams: Int) -> Duration {
        min(maxCoalesce, max(coalesce, coalescePerStream * streams))
    }

    init(environment: EnvironmentReader) throws {
        maxPerClient = try environment.integer("STREAM_MAX_PER_CLIENT", default: 100, in: 1...100_000)
        bufferEvents = try environment.integer("STREAM_BUFFER_EVENTS", default: 1000, in: 1...1_000_000)
    }
}
