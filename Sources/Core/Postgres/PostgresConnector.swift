import Dispatch
import Foundation
import Logging
import Synchronization

/// Opens a pool's connections through a `ConnectCircuit`: while the database is unreachable, callers
/// fail at once instead of each waiting for a connect timeout, and a probe on a thread of its own finds
/// out when it answers again. Each change of reachability is logged once.
final class PostgresConnector: Sendable {
    private let settings: DatabaseSettings
    private let logger: Logger
    private let circuit: Mutex<ConnectCircuit>
    /// How long the caller that starts a probe waits for it: long enough for a database that is back to
    /// answer, short enough that a silent one costs nobody a connect timeout.
    private let probeWait = Duration.milliseconds(200)

    init(settings: DatabaseSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        self.circuit = Mutex(ConnectCircuit(probeInterval: .seconds(1)))
    }

    /// Whether the last connect failed and no connect has succeeded since.
    var isUnreachable: Bool { circuit.withLock { $0.isOpen } }

    /// A new connection; blocking, on a pool thread.
    func connect() throws -> PostgresConnection {
        switch circuit.withLock({ $0.decide(at: .now) }) {
        case .connect:
            return try attempt()
        case .probe:
            return try probe()
        case .failFast(let reason, let since):
            throw unreachable(reason: reason, since: since)
        }
    }

    private func attempt() throws -> PostgresConnection {
        do {
            let connection = try PostgresConnection(settings: settings)
            log(circuit.withLock { $0.connected(at: .now) })
            return connection
        } catch let error as PostgresError {
            log(circuit.withLock { $0.failed(error.message, at: .now) })
            throw error
        }
    }

    /// Connects on a thread of its own and waits for it up to `probeWait`; a probe still running then
    /// finishes by itself (recording what it found) and its connection is closed.
    private func probe() throws -> PostgresConnection {
        let slot = ProbeSlot()
        let thread = Thread { [self] in slot.finish(Result { try attempt() }) }
        thread.start()
        if let result = slot.take(waitingUpTo: probeWait) { return try result.get() }
        throw PostgresError(
            code: .connectionFailed,
            message: "not connecting: the database did not answer a probe within \(probeWait); retrying in the background")
    }

    private func unreachable(reason: String, since: ContinuousClock.Instant) -> PostgresError {
        let seconds = Double((ContinuousClock.now - since).wholeMilliseconds) / 1000
        return PostgresError(
            code: .connectionFailed,
            message: "not connecting: unreachable for \(seconds) s (\(reason)); a probe retries every second in the background")
    }

    private func log(_ change: ConnectCircuit.Change?) {
        let host = settings.url.hostList
        switch change {
        case .opened(let reason):
            logger.warning(
                "database unreachable, failing fast until it answers",
                metadata: ["db.url.host": "\(host)", "db.name": "\(settings.url.database)", "error.detail": "\(reason)"])
        case .closed(let downFor):
            logger.info(
                "database reachable again",
                metadata: [
                    "db.url.host": "\(host)", "db.name": "\(settings.url.database)",
                    "db.down_ms": "\(downFor.wholeMilliseconds)",
                ])
        case nil:
            break
        }
    }
}

/// Hands a probe's result to the caller that started it, or drops it once that caller stopped waiting.
private final class ProbeSlot: Sendable {
    private enum State {
        case waiting
        case finished(Result<PostgresConnection, any Error>)
        case abandoned
    }

    private let state = Mutex(State.waiting)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ result: Result<PostgresConnection, any Error>) {
        let keep = state.withLock { state -> Bool in
            guard case .waiting = state else { return false }
            state = .finished(result)
            return true
        }
        if keep { done.signal() }
    }

    /// The result if it arrives within `limit`; nil (and the slot abandoned) otherwise.
    func take(waitingUpTo limit: Duration) -> Result<PostgresConnection, any Error>? {
        _ = done.wait(timeout: .now() + .milliseconds(limit.wholeMilliseconds))
        return state.withLock { state in
            guard case .finished(let result) = state else {
                state = .abandoned
                return nil
            }
            return result
        }
    }
}
