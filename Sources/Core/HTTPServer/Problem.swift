import Foundation
import Hummingbird

/// An RFC 9457 problem body (`application/problem+json`) that renders itself as the response.
public struct Problem: HTTPResponseError, Sendable, Equatable {
    /// One invalid input: which field and what is wrong with it.
    public struct FieldError: Codable, Sendable, Equatable {
        public let field: String
        public let message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var status: HTTPResponse.Status
    public var type: String
    public var title: String
    public var detail: String?
    public var errors: [FieldError]
    /// The id of a 500, also logged, so an operator can find it.
    public var reference: String?
    public var headers: HTTPFields

    public init(
        status: HTTPResponse.Status, type: String? = nil, title: String? = nil, detail: String? = nil,
        errors: [FieldError] = [], reference: String? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.type = type.map { "/problems/\($0)" } ?? "about:blank"
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.reference = reference
        self.headers = headers
    }

    public static func validation(_ errors: [FieldError]) -> Problem {
        Problem(
            status: .unprocessableContent, type: "validation", title: "Invalid request",
            detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors)
    }

    public static func validation(field: String, _ message: String) -> Problem {
        validation([FieldError(field: field, message: message)])
    }

    public static func malformed(_ detail: String) -> Problem {
        Problem(status: .badRequest, type: "malformed-request", title: "Malformed request", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, type: "not-found", title: "Not found", detail: detail)
    }

    public static func unavailable(_ detail: String, retryAfterSeconds: Int) -> Problem {
        Problem(
            status: .serviceUnavailable, type: "unavailable", title: "Temporarily unavailable", detail: detail,
            headers: [.retryAfter: "\(retryAfterSeconds)"])
    }

    public static func internalError(reference: String) -> Problem {
        Problem(
            status: .internalServerError, type: "internal-error", title: "Internal server error",
            detail: "Something went wrong on our side. Quote the reference when reporting it.", reference: reference)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let errors: [FieldError]?
        let reference: String?
    }

    /// The JSON bytes of the body.
    public var body: Data {
        let body = Body(
            type: type, title: title, status: status.code, detail: detail, errors: errors.isEmpty ? nil : errors,
            reference: reference)
        return (try? Self.encoder.encode(body)) ?? Data()
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
