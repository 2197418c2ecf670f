import Core
import Foundation
import Hummingbird
import Metrics
import NIOCore

/// `PUT /buy_order` and `PUT /v1/buy_order`.
struct BuyOrderRoutes: Sendable {
    let quotes: QuoteCache
    let writer: OrderWriter
    let retryAfterSeconds: Int

    private let created = Counter(label: "orders_created_total")
    private let replays = Counter(label: "idempotent_replays_total")
    private let limitRefusals = Counter(label: "limit_refusals_total")

    init(quotes: QuoteCache, writer: OrderWriter, retryAfterSeconds: Int = 1) {
        self.quotes = quotes
        self.writer = writer
        self.retryAfterSeconds = retryAfterSeconds
    }

    func add(to router: Router<BasicRequestContext>, access: ClientAccess) {
        let orders = router.clientRoutes(access, scope: .ordersWrite)
        orders.put("/buy_order", use: create)
        orders.put("/v1/buy_order", use: create)
    }

    @Sendable func create(_ request: Request, context: ClientRequestContext) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: BuyOrderBody.maxBytes)
        } catch {
            throw Problem(
                status: .contentTooLarge, type: "body-too-large", title: "Body too large",
                detail: "the body may be at most \(BuyOrderBody.maxBytes) bytes")
        }
        let order = try BuyOrderBody.parse(
            body: Data(body.readableBytesView), contentType: request.headers[.contentType],
            headerKey: request.headers[.idempotencyKey], clientID: context.principal.clientID)

        let outcome: OrderOutcome
        do {
            outcome = try await writer.submit(order, quote: quotes.freshQuote(for: order.currency))
        } catch let refusal as WriterRefusal {
            throw Problem.unavailable("\(refusal); nothing was stored", retryAfterSeconds: retryAfterSeconds)
        } catch {
            if let problem = Problem.unavailable(
                for: error, retryAfterSeconds: retryAfterSeconds, consequence: "nothing was stored")
            {
                throw problem
            }
            throw error
        }

        switch outcome {
        case .created(let stored):
            created.increment()
            return Self.response(key: order.idempotencyKey, order: stored, replayed: false)
        case .replayed(let stored):
            replays.increment()
            return Self.response(key: order.idempotencyKey, order: stored, replayed: true)
        case .keyReused:
            throw Problem.validation(field: "idempotence_key", "was already used for a different order")
        case .limitExceeded(let available):
            limitRefusals.increment()
            throw Problem(
                status: .conflict, type: "btc-limit-reached", title: "BTC limit reached",
                detail: "this order needs more BTC than is left: \(available) BTC still available; nothing was stored")
        case .noFreshQuote:
            throw Problem.unavailable(
                "no fresh \(order.currency) price is available; nothing was stored", retryAfterSeconds: retryAfterSeconds)
        case .outcomeUnknown:
            throw Problem(
                status: .serviceUnavailable, type: "outcome-unknown", title: "Outcome unknown",
                detail: "the connection to the order database broke while the order was being committed, so it may"
                    + " or may not be stored; retry with the same idempotency key to find out",
                headers: [.retryAfter: "\(retryAfterSeconds)"])
        }
    }

    /// The same body for the first answer and every replay.
    static func response(key: UUID, order: StoredBuyOrder, replayed: Bool) -> Response {
        var text = #"{"idempotence_key":""#
        text.reserveCapacity(320)
        text += key.lowercaseText + #"","buy_order":"#
        order.view.write(into: &text)
        text += "}"
        return Response.json(text, headers: replayed ? [.idempotentReplayed: "true"] : [:])
    }
}
