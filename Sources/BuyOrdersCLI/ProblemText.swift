import Core

/// An RFC 9457 problem answer as one readable text: `<title> (<status>): <detail>`, then one line per
/// field error; an answer that is no problem body shows its status and the start of its text.
struct ProblemText: CustomStringConvertible {
    let status: Int
    let title: String?
    let detail: String?
    let type: String?
    let fieldErrors: [(field: String, message: String)]
    let retryAfter: String?
    let other: String?

    init(response: HTTPClientResponse) {
        status = response.status
        retryAfter = response.header("Retry-After")
        let object = try? JSONParser().parseObject(response.body)
        title = object?.optionalString("title")
        detail = object?.optionalString("detail")
        type = object?.optionalString("type")
        if case .array(let errors) = object?["errors"] {
            fieldErrors = errors.compactMap { error in
                guard case .object(let fields) = error, let field = fields.optionalString("field"),
                    let message = fields.optionalString("message")
                else { return nil }
                return (field, message)
            }
        } else {
            fieldErrors = []
        }
        other = object == nil ? String(response.text.prefix(200)) : nil
    }

    var description: String {
        var text = "\(title ?? "HTTP") (\(status))"
        if let detail, fieldErrors.isEmpty { text += ": \(detail)" }
        if let other, !other.isEmpty { text += ": \(other)" }
        if let retryAfter { text += "; retry after \(retryAfter) s" }
        for error in fieldErrors { text += "\n  \(error.field): \(error.message)" }
        return text
    }
}
