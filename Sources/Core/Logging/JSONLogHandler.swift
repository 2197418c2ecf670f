import Foundation
import Logging
import Synchronization

/// Writes one JSON object per line to stdout: time, level, service, event, fields.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let service: String
    private let output: LogOutput

    public init(service: String, level: Logger.Level, output: LogOutput = .standardOutput) {
        self.service = service
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        output.write(Self.line(time: Date(), level: event.level, service: service, event: "\(event.message)", fields: fields))
    }

    /// The JSON line for one event, without its trailing newline.
    static func line(time: Date, level: Logger.Level, service: String, event: String, fields: Logger.Metadata) -> String {
        var json = JSONWriter()
        json.begin()
        json.field("time", time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        json.field("level", level.rawValue)
        json.field("service", service)
        json.field("event", event)
        if !fields.isEmpty {
            json.key("fields")
            json.value(.dictionary(fields))
        }
        json.end()
        return json.text
    }
}

/// Where log lines go; a test can capture them.
public final class LogOutput: Sendable {
    private let isCapturing: Bool
    private let lines = Mutex<[String]>([])

    private init(capturing: Bool) { self.isCapturing = capturing }

    public static let standardOutput = LogOutput(capturing: false)
    public static func capture() -> LogOutput { LogOutput(capturing: true) }

    public var captured: [String] { lines.withLock { $0 } }

    func write(_ line: String) {
        if isCapturing {
            lines.withLock { $0.append(line) }
            return
        }
        // One write(2) per line keeps lines from different threads whole.
        var bytes = Array((line + "\n").utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

/// Minimal JSON text builder for log lines.
private struct JSONWriter {
    private(set) var text = ""
    private var needsComma = false

    mutating func begin() { text += "{"; needsComma = false }
    mutating func end() { text += "}"; needsComma = true }

    mutating func key(_ name: String) {
        if needsComma { text += "," }
        appendString(name)
        text += ":"
        needsComma = false
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        appendString(value)
        needsComma = true
    }

    mutating func value(_ value: Logger.MetadataValue) {
        if needsComma { text += "," }
        switch value {
        case .string(let string): appendString(string)
        case .stringConvertible(let convertible): appendString(convertible.description)
        case .array(let values):
            text += "["
            needsComma = false
            for element in values { self.value(element) }
            text += "]"
        case .dictionary(let dictionary):
            begin()
            for (name, element) in dictionary.sorted(by: { $0.key < $1.key }) {
                key(name)
                self.value(element)
            }
            end()
            return
        }
        needsComma = true
    }

    private mutating func appendString(_ string: String) {
        JSONText.appendQuoted(string, to: &text)
    }
}
