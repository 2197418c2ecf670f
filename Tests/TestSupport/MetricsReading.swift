import Prometheus

/// Values of a registry's metrics, as `/metrics` shows them.
public struct MetricsReading: Sendable {
    public let text: String

    public init(_ registry: PrometheusCollectorRegistry) {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        self.init(text: String(decoding: bytes, as: UTF8.self))
    }

    public init(text: String) {
        self.text = text
    }

    /// The value of sample `name` whose labels include every one of `labels` (`key="value"`); nil when absent.
    public func value(_ name: String, _ labels: String...) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let sampleName = series.prefix { $0 != "{" }
            guard sampleName == name, labels.allSatisfy({ series.contains($0) }) else { continue }
            return Double(line[line.index(after: space)...])
        }
        return nil
    }
}
