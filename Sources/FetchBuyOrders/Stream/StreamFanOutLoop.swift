import Core
import Foundation
import Logging

/// The hub's loop, on a thread of its own with one read-database connection: waits for the commit
/// signal, reads what was committed since the hub's position (once for every stream) and publishes it.
/// While committed orders wait for an older transaction to end, it reads again every `pendingPoll`;
/// without any signal, every `idleRead`. A read database in recovery (a standby) cannot LISTEN: then
/// it reads every `standbyPoll`. Its state is created and used on the loop's thread only.
final class StreamFanOutLoop {
    let hub: StreamHub
    let stop: StopFlag
    private var connection: PostgresConnection?
    private var listening = false
    private var toldStandby = false
    private var failures = FailureStreak()
    private var lastRead = ContinuousClock.now - .seconds(1)
    private let standbyPoll = Duration.milliseconds(50)

    init(hub: StreamHub, stop: StopFlag) {
        self.hub = hub
        self.stop = stop
    }

    private var settings: StreamSettings { hub.settings }
    private var logger: Logger { hub.logger }

    func run() {
        while !stop.isSet {
            do {
                let connection = try open()
                let pending = try readAll(connection)
                recovered()
                try waitForWork(connection, pending: pending)
            } catch {
                failed(error)
            }
        }
    }

    private func open() throws -> PostgresConnection {
        if let connection { return connection }
        let opened = try PostgresConnection(settings: hub.database)
        do {
            try opened.query(PostgresQuery(unsafeSQL: "LISTEN \(ReadModelSignal.ordersProjected)"))
            listening = true
        } catch let error as PostgresError where error.sqlState == "25006" {
            if !toldStandby {
                toldStandby = true
                logger.info(
                    "stream fan-out: the read database is a standby and cannot signal commits; reading every 50 ms",
                    metadata: ["error.detail": "\(error.debugDescription)"])
            }
            listening = false
        }
        connection = opened
        return opened
    }

    /// Reads and publishes until caught up; returns whether committed orders wait for an older transaction.
    private func readAll(_ connection: PostgresConnection) throws -> Bool {
        if hub.position == nil { hub.start(at: StreamPosition(horizon: try StreamFeed.horizon(on: connection))) }
        var position = hub.position!
        while true {
            lastRead = .now
            let read = try StreamFeed.read(after: position, limit: settings.readLimit, on: connection)
            let complete = read.orders.count < settings.readLimit
            // A complete read has seen everything before the horizon.
            let through = complete ? max(position, StreamPosition(horizon: read.horizon)) : read.orders.last!.position
            hub.publish(read.orders, through: through)
            position = through
            if complete || stop.isSet { return read.pending }
        }
    }

    /// Waits for a signal (or the poll interval), then at least until the coalescing window after the
    /// last read (`StreamSettings.coalesce(streams:)`).
    private func waitForWork(_ connection: PostgresConnection, pending: Bool) throws {
        let limit = pending ? settings.pendingPoll : listening ? settings.idleRead : standbyPoll
        let deadline = ContinuousClock.now + limit
        while !stop.isSet, ContinuousClock.now < deadline {
            let slice = min(deadline - .now, .milliseconds(250))
            if listening {
                if !(try connection.waitForNotifications(timeout: slice / .seconds(1))).isEmpty { break }
            } else {
                stop.sleep(slice)
            }
        }
        let earliest = lastRead + settings.coalesce(streams: hub.openStreamCount)
        if ContinuousClock.now < earliest { stop.sleep(earliest - .now) }
    }

    // MARK: - Failures: one log line per change, a growing pause

    private func failed(_ error: any Error) {
        let postgres = error as? PostgresError
        let (delay, change) = failures.failed(reason: postgres.map { $0.sqlState ?? "\($0.code)" } ?? "\(error)")
        if change != .unchanged {
            logger.warning(
                "stream fan-out: read database failing, streams wait; retrying with backoff",
                metadata: [
                    "error.detail": "\(postgres?.debugDescription ?? String(describing: error))",
                    "retry.delay_ms": "\(delay / .milliseconds(1))",
                ])
        }
        if connection?.isIdle != true { connection = nil }
        stop.sleep(delay)
    }

    private func recovered() {
        let failures = failures.succeeded()
        if failures > 0 { logger.info("stream fan-out: read database reachable again", metadata: ["retry.attempts": "\(failures)"]) }
    }
}
