import ArgumentParser
import Core
import Foundation
import Synchronization

/// `buyorders watch`: the live stream of the client's new orders, one line each.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Prints each of your new orders as it is made, until you stop it.",
        discussion: """
            Follows GET /v1/buy_orders/stream on fetch-buy-orders (Server-Sent Events) and prints one line \
            per order as it reaches the read model: created, id, currency, amount, rate, BTC (with --json, \
            the order's JSON). When the stream ends or breaks (a restart, a network fault, 45 s without even \
            a keep-alive), watch says so on stderr and reconnects by itself, after 0.5 s doubling to 10 s, \
            with Last-Event-ID: no order is skipped or printed twice. If the very first connection gets no \
            answer, it stops with exit status 3. Ctrl-C (SIGINT) or SIGTERM ends it with exit status 0, \
            naming the event id to resume from with --last-event-id.

            EXAMPLES
              buyorders watch
              buyorders watch --currency EUR --json
              buyorders watch --last-event-id 0000000000000412

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Option(help: "Only orders in this currency.")
    var currency: Currency?

    @Option(help: "Resume after this event id (as an earlier watch named it) instead of starting now.")
    var lastEventID: String?

    @Flag(help: "Each order's JSON, one per line, instead of columns.")
    var json = false

    static let idleTimeout = Duration.seconds(45)
    static let backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(10))

    func run() async throws {
        try await APIClient.with { api in
            let authorization = try api.settings.authorization()
            let state = WatchState(lastEventID: lastEventID ?? "", json: json)
            let currency = currency
            do {
                try await Interruption.cancelling {
                    try await Self.follow(api, authorization: authorization, currency: currency, state: state)
                }
            } catch is CancellationError {
                let resume = state.lastEventID
                Output.note("stopped" + (resume.isEmpty ? "" : "; resume with --last-event-id \(resume)"))
            }
        }
    }

    static func follow(
        _ api: APIClient, authorization: [String: String], currency: Currency?, state: WatchState
    ) async throws {
        let base = api.url(.fetchBuyOrders, "/v1/buy_orders/stream", query: [("currency", currency?.code)])
        var failures = 0
        var everConnected = false
        while true {
            try Task.checkCancellation()
            var headers = authorization.merging(["Accept": "text/event-stream"]) { $1 }
            let resume = state.startConnection(announcing: everConnected)
            if !resume.isEmpty { headers["Last-Event-ID"] = resume }
            let reason: String
            do {
                let response = try await api.http.stream(
                    HTTPClientRequest(.get, base, headers: headers), idleTimeout: Self.idleTimeout
                ) { bytes in state.receive(bytes) }
                if (200..<300).contains(response.status) {
                    reason = "the server ended the stream"
                } else if (400..<500).contains(response.status) {
                    throw CLIFailure.refused("fetch-buy-orders refused: \(ProblemText(response: response))")
                } else {
                    reason = "fetch-buy-orders is unavailable: \(ProblemText(response: response))"
                }
            } catch let error as HTTPClientError {
                reason = "the stream broke (\(error.debugDescription))"
            }
            try Task.checkCancellation()
            if state.connectionReceived {
                everConnected = true
                failures = 0
            }
            guard everConnected else {
                throw CLIFailure.unavailable("no stream from fetch-buy-orders at \(APIClient.redacted(base)): \(reason)")
            }
            failures += 1
            let pause = Self.backoff.delay(afterFailures: failures)
            let from = state.lastEventID
            Output.note("\(reason); reconnecting in \(BuyCommand.seconds(pause))" + (from.isEmpty ? "" : " from event \(from)"))
            try await Task.sleep(for: pause)
        }
    }
}

/// What the stream has delivered so far, shared between the transfer's thread (which feeds it) and the
/// loop (which reads it between connections).
final class WatchState: Sendable {
    private struct State {
        var parser: ServerSentEventParser
        var connectionReceived = false
        /// Whether the next bytes are the first of a connection, and of a reconnection.
        var announce: (first: Bool, reconnect: Bool) = (false, false)
    }

    private let state: Mutex<State>
    private let json: Bool

    init(lastEventID: String, json: Bool) {
        state = Mutex(State(parser: ServerSentEventParser(lastEventID: lastEventID)))
        self.json = json
    }

    var lastEventID: String { state.withLock { $0.parser.lastEventID } }
    var connectionReceived: Bool { state.withLock { $0.connectionReceived } }

    /// Before each connection: the id to resume after.
    func startConnection(announcing reconnect: Bool) -> String {
        state.withLock { state in
            // A new connection starts a new parse; only the position carries over.
            state.parser = ServerSentEventParser(lastEventID: state.parser.lastEventID)
            state.connectionReceived = false
            state.announce = (true, reconnect)
            return state.parser.lastEventID
        }
    }

    /// Bytes of a 2xx stream, on the transfer's thread: prints each order it completes.
    func receive(_ bytes: [UInt8]) {
        let (events, announce, position) = state.withLock { state in
            let announce = state.announce
            let resumed = state.parser.lastEventID
            state.announce = (false, false)
            state.connectionReceived = true
            return (state.parser.feed(bytes), announce, resumed)
        }
        if announce.reconnect {
            Output.note("reconnected" + (position.isEmpty ? "" : "; resuming after event \(position)"))
        } else if announce.first {
            Output.note("watching your new orders" + (position.isEmpty ? "" : " after event \(position)") + "; Ctrl-C stops")
        }
        for event in events where event.type == "buy_order" {
            do {
                let order = try Order(try JSONParser().parseObject(Array(event.data.utf8)))
                Output.line(json ? order.view.json : order.line)
            } catch {
                Output.note("event \(event.id) is not an order, skipped: \(event.data.prefix(200))")
            }
        }
    }
}
