import Core
import Hummingbird
import NIOCore

/// The JSON object of a write request's body, as every write route reads it: at most `maxBytes`
/// (else 413), sent as `Content-Type: application/json` (else 415), strict JSON (else a 400 naming
/// the byte and the problem, `JSONParser`), and each field outside the route's own a 422 error.
enum JSONRequestBody {
    static let maxBytes = 16 * 1024

    static func collect(_ request: Request) async throws(Problem) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBytes)
        } catch {
            throw Problem(
                status: .contentTooLarge, type: "body-too-large", title: "Body too large",
                detail: "the body may be at most \(maxBytes) bytes")
        }
    }

    /// The object, with an error in `errors` for every field not in `known`; `what` names the body in the 415.
    static func object(
        _ body: some Collection<UInt8>, contentType: String?, known: Set<String>, what: String,
        errors: inout [Problem.FieldError]
    ) throws(Problem) -> JSONObject {
        guard let contentType, isJSON(contentType) else {
            throw Problem(
                status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                detail: "send \(what) as Content-Type: application/json")
        }
        let object = try JSONObject(requestBody: body, parser: JSONParser(maxBytes: maxBytes))
        for field in object.keys.sorted() where !known.contains(field) {
            errors.append(.init(field: field, message: "is not a known field"))
        }
        return object
    }

    /// `application/json` in any case, with or without parameters such as `; charset=utf-8`.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = withoutWhitespace(contentType.prefix { $0 != ";" })
        return mediaType.count == 16 && mediaType.lowercased() == "application/json"
    }

    /// `text` without the spaces and tabs around it.
    static func withoutWhitespace(_ text: Substring) -> Substring {
        var text = text
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }

    /// `currency`, required: one of the traded currencies.
    static func currency(_ value: JSONValue?, errors: inout [Problem.FieldError]) -> Currency? {
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
}
