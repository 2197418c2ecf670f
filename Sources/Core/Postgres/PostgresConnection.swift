import CLibPQ
import Foundation

/// One libpq connection. Blocking: use it only from a thread-pool thread, one thread at a time.
///
/// `@unchecked Sendable` because the pool hands it out to exactly one checked-out user at a time.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Prepared statement names by SQL text, for `query(prepared:)`.
    private var prepared: [String: String] = [:]
    /// A statement failed with SQLSTATE 25006 (read_only_sql_transaction): the server takes no writes.
    public private(set) var refusedWrites = false

    /// Connects (blocking) to a `postgresql://` URL with `options` (by default: keepalives and a connect
    /// timeout, but no statement or lock timeout, as tools such as `migrate` need).
    public init(url: PostgresURL, options: ConnectionOptions = ConnectionOptions()) throws {
        guard let handle = PQconnectdb(options.conninfo(for: url)) else {
            throw PostgresError(code: .connectionFailed, message: "out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(code: .connectionFailed, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Server notices (e.g. "already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    /// Connects to `settings.url` with `settings.options`, as the services' pools do.
    public convenience init(settings: DatabaseSettings) throws {
        try self.init(url: settings.url, options: settings.options)
    }

    deinit {
        PQfinish(handle)
    }

    /// True while the connection is open, not inside a transaction and not in pipeline mode.
    public var isIdle: Bool {
        PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
            && PQpipelineStatus(handle) == PQ_PIPELINE_OFF
    }

    /// Idle, and on a server that took its writes. One that refused a write is a standby (a primary that
    /// became one, or the first host libpq answered with) or a server made read-only: its owner drops
    /// it, and the next connection lets libpq pick a read-write host again (`target_session_attrs`).
    public var isReusable: Bool { isIdle && !refusedWrites }

    /// Idle, and nothing arrived while it sat unused in a pool (which never LISTENs). A backend that
    /// ends (a restart, `pg_terminate_backend`) sends its last error before it closes the socket, so
    /// anything readable means the server is ending the session; a rare harmless message only costs a
    /// reconnect. One `poll`, no round trip.
    public var isAlive: Bool {
        guard isIdle else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// The backend process id, which `pg_terminate_backend` takes.
    public var backendPID: Int32 { PQbackendPID(handle) }

    // MARK: - Queries

    /// Runs one parameterised statement.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> PostgresRows {
        try withCStrings(query.binds) { values in
            try consume(PQexecParams(handle, query.sql, Int32(values.count), nil, values, nil, nil, 0))
        }
    }

    /// Runs one parameterised statement, prepared once per connection on first use.
    @discardableResult
    public func query(prepared query: PostgresQuery) throws -> PostgresRows {
        let name: String
        if let known = prepared[query.sql] {
            name = known
        } else {
            name = "s\(prepared.count)"
            try consume(PQprepare(handle, name, query.sql, Int32(query.binds.count), nil))
            prepared[query.sql] = name
        }
        return try withCStrings(query.binds) { values in
            try consume(PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0))
        }
    }

    /// Runs statements in one round trip (libpq pipeline mode), each prepared once per connection, and
    /// returns the rows of each. The first failure is thrown and the statements after it do not run; inside
    /// a transaction, that leaves it failed, for `rollback()`.
    @discardableResult
    public func pipeline(_ queries: [PostgresQuery]) throws -> [PostgresRows] {
        guard PQenterPipelineMode(handle) == 1 else { throw lostConnection() }
        defer { PQexitPipelineMode(handle) }
        /// What each result read back answers: a statement prepared in this pipeline, or a query.
        enum Step { case prepare(sql: String, name: String), query }
        var steps: [Step] = []
        var naming = prepared
        for query in queries {
            let name: String
            if let known = naming[query.sql] {
                name = known
            } else {
                name = "s\(naming.count)"
                guard PQsendPrepare(handle, name, query.sql, Int32(query.binds.count), nil) == 1 else { throw lostConnection() }
                naming[query.sql] = name
                steps.append(.prepare(sql: query.sql, name: name))
            }
            let sent = withCStrings(query.binds) { values in
                PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
            }
            guard sent == 1 else { throw lostConnection() }
            steps.append(.query)
        }
        guard PQpipelineSync(handle) == 1 else { throw lostConnection() }

        var rows: [PostgresRows] = []
        var failure: PostgresError?
        for step in steps {
            // Each step's result is followed by a NULL; after a failure the rest come back aborted.
            let result = PQgetResult(handle)
            defer { while let extra = PQgetResult(handle) { PQclear(extra) } }
            if let result, PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                continue
            }
            do {
                let stepRows = try consume(result)
                switch step {
                case .prepare(let sql, let name): prepared[sql] = name
                case .query: rows.append(stepRows)
                }
            } catch let error as PostgresError {
                // After a statement failed, the server runs nothing more up to the sync: a connection lost
                // now cannot have committed anything, and the first failure says why.
                if error.code == .connectionLost { throw failure ?? error }
                failure = failure ?? error
            }
        }
        guard let sync = PQgetResult(handle) else { throw failure ?? lostConnection() }
        PQclear(sync)
        if let failure { throw failure }
        return rows
    }

    /// Runs SQL text that may hold several statements and no parameters (migrations).
    public func execute(script: String) throws {
        try consume(PQexec(handle, script))
    }

    // MARK: - Transactions

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let result = try body(self)
            try query("COMMIT")
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Runs `statements` as one transaction in one round trip (BEGIN, the statements, COMMIT) and returns
    /// the rows of each statement; any failure rolls back and is rethrown. A lost connection leaves it
    /// unknown whether COMMIT was applied.
    @discardableResult
    public func transaction(_ statements: [PostgresQuery]) throws -> [PostgresRows] {
        do {
            return Array(try pipeline(["BEGIN"] + statements + ["COMMIT"]).dropFirst().dropLast())
        } catch {
            rollback()
            throw error
        }
    }

    /// Ends a transaction that failed or was left open; a lost connection has nothing to roll back.
    public func rollback() {
        if PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) != PQTRANS_IDLE {
            _ = try? query("ROLLBACK")
        }
    }

    // MARK: - Notifications

    /// Waits up to `timeout` seconds for NOTIFY messages on channels this connection LISTENs to. A
    /// timeout at or below zero only looks (a deadline that just passed: poll(2) would take a
    /// negative one as "forever").
    public func waitForNotifications(timeout: Double) throws -> [String] {
        var channels = drainNotifications()
        guard channels.isEmpty else { return channels }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw lostConnection() }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(max(0, min(timeout, 86_400)) * 1000))
        if ready < 0 && errno != EINTR {
            throw PostgresError(code: .connectionLost, message: "poll failed: errno \(errno)")
        }
        guard PQconsumeInput(handle) == 1 else { throw lostConnection() }
        channels = drainNotifications()
        return channels
    }

    private func drainNotifications() -> [String] {
        var channels: [String] = []
        while let notification = PQnotifies(handle) {
            channels.append(String(cString: notification.pointee.relname))
            PQfreemem(notification)
        }
        return channels
    }

    // MARK: - Results

    /// Turns a result into rows or a typed error, and frees it.
    @discardableResult
    private func consume(_ result: OpaquePointer?) throws -> PostgresRows {
        guard let result else { throw lostConnection() }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        default:
            if PQstatus(handle) != CONNECTION_OK { throw lostConnection() }
            let sqlState = Self.field(result, "C")
            if sqlState == PostgresError.readOnlySQLState { refusedWrites = true }
            throw PostgresError(
                code: PostgresError.Code(sqlState: sqlState),
                sqlState: sqlState,
                message: Self.field(result, "M") ?? String(cString: PQresultErrorMessage(result)),
                constraint: Self.field(result, "n")
            )
        }
    }

    private func lostConnection() -> PostgresError {
        let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(code: .connectionLost, message: message.isEmpty ? "connection lost" : message)
    }

    /// A diagnostic field of an error result, by its libpq code letter (C: SQLSTATE, M: message, n: constraint).
    private static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: value)
    }

    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var values: [[String?]] = []
        values.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            values.append(
                (0..<columnCount).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, values: values, affectedRows: affected)
    }
}

/// Passes Swift strings to C as an array of NUL-terminated strings (NULL for nil), freed afterwards.
private func withCStrings<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) throws -> T) rethrows -> T {
    let copies = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { $0.map { free($0) } } }
    return try body(copies.map { $0.map { UnsafePointer($0) } })
}

