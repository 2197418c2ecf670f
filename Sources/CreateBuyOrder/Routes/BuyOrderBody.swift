import Core
import Foundation
import Hummingbird

/// Reads `PUT /buy_order`'s body and `Idempotency-Key` header into an `OrderRequest`, or a problem:
/// a 400 naming the byte and the problem for a body that is not strict JSON (`JSONParser`), a 422
/// naming every bad field. Nothing here touches a Double: the amount stays text until parsed.
enum BuyOrderBody {
    static let maxBytes = 16 * 1024
    static let fields: Set<String> = ["currency", "amount", "idempotence_key"]

    static func parse(body: some Collection<UInt8>, contentType: String?, headerKey: String?, clientID: String)
        throws(Problem) -> OrderRequest
    {
        guard let contentType, isJSON(contentType) else {
            throw Problem(
                status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                detail: "send the order as Content-Type: application/json")
        }
        let object = try JSONObject(requestBody: body, parser: JSONParser(maxBytes: maxBytes))

        var errors: [Problem.FieldError] = []
        for field in object.keys.sorted() where !fields.contains(field) {
            errors.append(.init(field: field, message: "is not a known field"))
        }

        let currency = readCurrency(object["currency"], errors: &errors)
        let amount = readAmount(object["amount"], errors: &errors)
        let key = readKey(body: object["idempotence_key"], header: headerKey, errors: &errors)

        guard errors.isEmpty, let currency, let amount, let key else { throw Problem.validation(errors) }
        return OrderRequest(clientID: clientID, idempotencyKey: key, currency: currency, amount: amount)
    }

    private static func readCurrency(_ value: JSONValue?, errors: inout [Problem.FieldError]) -> Currency? {
        guard let value else {
            errors.append(.init(field: "currency", message: "is required: one of \(Currency.codes)"))
            return nil
        }
        guard case .string(let text) = value, let currency = Currency(code: text) else {
            errors.append(.init(field: "currency", message: "must be one of \(Currency.codes)"))
            return nil
        }
        return currency
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
            guard let key = UUID(text: withoutWhitespace(header[...])) else {
                errors.append(.init(field: "Idempotency-Key", message: "must be a UUID"))
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

    /// `application/json` in any case, with or without parameters such as `; charset=utf-8`.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = withoutWhitespace(contentType.prefix { $0 != ";" })
        return mediaType.count == 16 && mediaType.lowercased() == "application/json"
    }

    /// `text` without the spaces and tabs around it.
    private static func withoutWhitespace(_ text: Substring) -> Substring {
        var text = text
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
