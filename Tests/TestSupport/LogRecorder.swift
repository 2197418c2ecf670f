import Logging
import Synchronization

/// Keeps every message logged through its loggers, for tests that count log lines.
public final class LogRecorder: Sendable {
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let message: String
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    /// A logger that records at `level` and above.
    public func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    public var all: [Entry] { entries.withLock { $0 } }

    /// The messages logged at `level`, in order.
    public func messages(at level: Logger.Level) -> [String] {
        entries.withLock { $0.filter { $0.level == level }.map(\.message) }
    }

    /// How many messages so far contain `text`.
    public func count(_ text: String) -> Int {
        entries.withLock { $0.filter { $0.message.contains(text) }.count }
    }

    /// Lines whose message is exactly `message` (not another component's line that contains it).
    public func count(exactly message: String) -> Int {
        entries.withLock { $0.filter { $0.message == message }.count }
    }

    fileprivate func append(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append(Entry(level: event.level, message: "\(event.message)"))
        }
    }
}
