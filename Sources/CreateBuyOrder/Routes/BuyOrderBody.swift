import Core
import Foundation
import Hummingbird

/// Reads `PUT /buy_order`'s body and `Idempotency-Key` header into an `OrderRequest`, or a problem:
/// a 400 naming the byte and the problem for a body that is not strict JSON (`JSONParser`), a 422
/// naming every bad field. Nothing here touches a Double: the amount stays text until parsed.
enum BuyOrderBody {
    static let fields: Set<String> = ["currency", "amount", "idempotence_key", "quote_id"]

    static func parse(body: some Collection<UInt8>, contentType: String?, headerKey: String?, clientID: String)
        throws(Problem) -> OrderRequest
    {
        var errors: [Problem.FieldError] = []
        let object = try JSONRequestBody.object(
            body, contentType: contentType, known: fields, what: "the order", errors: &errors)
        let currency = JSONRequestBody.currency(object["currency"], errors: &errors)
        let amount = readAmount(object["amount"], errors: &errors)
        let key = readKey(body: object["idempotence_key"], header: headerKey, errors: &errors)
        let quoteID = readQuoteID(object["quote_id"], errors: &errors)

        guard errors.isEmpty, let currency, let amount, let key else { throw Problem.validation(errors) }
        return OrderRequest(clientID: clientID, idempotencyKey: key, currency: currency, amount: amount, quoteID: quoteID)
    }

    /// A string such as `"123.45"`, or a JSON number whose literal digits are taken exactly
    /// (`123.45`), never through a Double; a number with an exponent or a sign is refused.
    private static func readAmount(_ value: JSONValue?, errors: inout [Problem.FieldError]) -> FiatAmount? {
        let text: String
        switch value {
        case nil:
            errors.append(.init(field: "amount", message: "is required, as a string such as \"123.45\""))
            return nil
        case .string(let string):
            text = string
        case .number(let literal) where literal.contains { $0 == "e" || $0 == "E" }:
            errors.append(
                .init(field: "amount", message: "must be a plain decimal such as 123.45; a number with an exponent is refused"))
            return nil
        case .number(let literal) where literal.hasPrefix("-"):
            errors.append(.init(field: "amount", message: FiatAmount.ParsingError.notPositive.description))
            return nil
        case .number(let literal):
            text = literal
        default:
            errors.append(.init(field: "amount", message: "must be a string such as \"123.45\" or a plain JSON number"))
            return nil
        }
        do {
            return try FiatAmount(parsing: text)
        } catch {
            errors.append(.init(field: "amount", message: error.description))
            return nil
        }
    }

    private static func readKey(body: JSONValue?, header: String?, errors: inout [Problem.FieldError]) -> UUID? {
        var bodyKey: UUID?
        if let body {
            guard case .string(let text) = body, let key = UUID(text: text) else {
                errors.append(.init(field: "idempotence_key", message: "must be a UUID"))
                return nil
            }
            bodyKey = key
        }
        var headerValue: UUID?
        if let header {
            guard let key = headerKey(header) else {
                errors.append(
                    .init(field: "Idempotency-Key", message: #"must be a UUID, bare or as a quoted string ("<uuid>")"#))
                return nil
            }
            headerValue = key
        }
        switch (bodyKey, headerValue) {
        case (nil, nil):
            errors.append(
                .init(field: "idempotence_key", message: "is required, in the body or in the Idempotency-Key header"))
            return nil
        case (let key?, let other?) where key != other:
            errors.append(.init(field: "idempotence_key", message: "differs from the Idempotency-Key header"))
            return nil
        default:
            return bodyKey ?? headerValue
        }
    }

    /// The `Idempotency-Key` field's UUID: bare, or as the IETF draft has it, a structured-field string
    /// (RFC 8941 `sf-string`, `"<uuid>"`; a UUID needs no escapes).
    static func headerKey(_ value: String) -> UUID? {
        var text = JSONRequestBody.withoutWhitespace(value[...])
        if text.first == "\"" {
            guard text.count >= 2, text.last == "\"" else { return nil }
            text = text.dropFirst().dropLast()
        }
        return UUID(text: text)
    }

    /// `quote_id`, when the order is to take a quote's rate.
    private static func readQuoteID(_ value: JSONValue?, errors: inout [Problem.FieldError]) -> UUID? {
        guard let value else { return nil }
        guard case .string(let text) = value, let id = UUID(text: text) else {
            errors.append(.init(field: "quote_id", message: "must be the quote_id of a quote (a UUID)"))
            return nil
        }
        return id
    }
}
