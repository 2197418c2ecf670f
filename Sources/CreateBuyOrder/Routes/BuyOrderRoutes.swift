import Core
import Foundation
import Hummingbird
import Metrics
import NIOCore

/// `PUT /buy_order` and `PUT /v1/buy_order`.
struct BuyOrderRoutes: Sendable {
    let prices: PriceCache
    let writer: OrderWriter
    let retryAfterSeconds: Int

    private let created = Counter(label: "orders_created_total")
    private let replays = Counter(label: "idempotent_replays_total")
    private let limitRefusals = Counter(label: "limit_refusals_total")

    init(prices: PriceCache, writer: OrderWriter, retryAfterSeconds: Int = 1) {
        self.prices = prices
        self.writer = writer
        self.retryAfterSeconds = retryAfterSeconds
    }

    func add(to router: ServiceRouter, access: ClientAccess) {
        let orders = router.clientRoutes(access, scope: .ordersWrite)
        orders.put("/buy_order", use: create)
        orders.put("/v1/buy_order", use: create)
    }

    @Sendable func create(_ request: Request, context: ClientRequestContext) async throws -> Response {
        let body = try await JSONRequestBody.collect(request)
        let order = try BuyOrderBody.parse(
            body: Data(body.readableBytesView), contentType: request.headers[.contentType],
            headerKey: request.headers[.idempotencyKey], clientID: context.principal.clientID)

        let outcome: OrderOutcome
        do {
            // An order from a quote takes the quote's rate, read in its transaction.
            let price = order.quoteID == nil ? prices.freshPrice(for: order.currency) : nil
            outcome = try await writer.submit(order, price: price)
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
            throw Problem(
                status: .unprocessableContent, type: "idempotency-key-reused", title: "Idempotency key reused",
                detail: "idempotency key \(order.idempotencyKey.lowercaseText) was already used for a different order"
                    + " (another currency, amount or quote); nothing was stored: send a new key for a new order",
                errors: [.init(field: "idempotence_key", message: "was already used for a different order")])
        case .limitExceeded(let available):
            limitRefusals.increment()
            throw Problem(
                status: .conflict, type: "btc-limit-reached", title: "BTC limit reached",
                detail: "this order needs more BTC than is left: \(available) BTC still available; nothing was stored")
        case .noFreshQuote:
            throw Problem.unavailable(
                "no fresh \(order.currency) price is available; nothing was stored", retryAfterSeconds: retryAfterSeconds)
        case .quoteRefused(.unknown):
            throw Problem.validation(field: "quote_id", "is not one of your quotes (POST /v1/quotes makes one)")
        case .quoteRefused(.otherCurrency(let currency)):
            throw Problem.validation(field: "quote_id", "is a \(currency) quote, and the order is in \(order.currency)")
        case .quoteUsed:
            throw Problem(
                status: .conflict, type: "quote-used", title: "Quote already used",
                detail: "quote \(order.quoteID?.lowercaseText ?? "") was used for another order: a quote makes one order;"
                    + " nothing was stored")
        case .quoteExpired(let expiresAt):
            throw Problem(
                status: .conflict, type: "quote-expired", title: "Quote expired",
                detail: "quote \(order.quoteID?.lowercaseText ?? "") expired at \(expiresAt): make a new quote;"
                    + " nothing was stored")
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
