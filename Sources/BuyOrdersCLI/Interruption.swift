import Foundation

/// Runs `body` in a task that SIGINT and SIGTERM cancel, so that a long command (watch, export) ends
/// through its own clean-up instead of dying mid-write.
enum Interruption {
    static func cancelling<T: Sendable>(_ body: sending @escaping () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return try await task.value
    }
}
