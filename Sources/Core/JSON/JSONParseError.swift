/// Why a body is not strict JSON, and at which byte (counted from 0); `description` is a sentence
/// fit for a 400's `detail`.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case empty
        /// A byte-order mark of the named encoding opens the body.
        case byteOrderMark(encoding: String)
        /// The body is in another encoding than UTF-8 (NUL bytes among its first four).
        case notUTF8(encoding: String)
        case invalidUTF8
        /// Something else than `expected`; `found` is nil at the end of the body.
        case unexpected(found: UInt8?, expected: String)
        case trailingComma
        case duplicateKey(String)
        case leadingZero
        case invalidEscape
        case loneSurrogate
        /// An unescaped control character (U+0000 to U+001F) inside a string.
        case controlCharacter(UInt8)
        case trailingContent(found: UInt8)
        case tooDeep(limit: Int)
        case tooLarge(limit: Int)
    }

    public let offset: Int
    public let reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .empty: "the body is empty; send a JSON object"
        case .tooLarge(let limit): "the body is larger than \(limit) bytes"
        default: "at byte \(offset): \(reasonText)"
        }
    }

    private var reasonText: String {
        switch reason {
        case .empty: "the body is empty"
        case .byteOrderMark(let encoding): "a \(encoding) byte-order mark opens the body; send UTF-8 without one"
        case .notUTF8(let encoding): "the body is \(encoding); send UTF-8"
        case .invalidUTF8: "invalid UTF-8"
        case .unexpected(let found, let expected): "expected \(expected), found \(Self.describe(found))"
        case .trailingComma: "a trailing comma"
        case .duplicateKey(let key): "duplicate key \"\(key)\""
        case .leadingZero: "a number with a leading zero"
        case .invalidEscape: "an invalid escape sequence"
        case .loneSurrogate: "a \\u escape of a lone UTF-16 surrogate"
        case .controlCharacter(let byte): "an unescaped control character \(Self.describe(byte)) in a string"
        case .trailingContent(let found): "\(Self.describe(found)) after the end of the JSON value"
        case .tooDeep(let limit): "values nested deeper than \(limit) levels"
        case .tooLarge(let limit): "more than \(limit) bytes"
        }
    }

    /// `'x'` for printable ASCII, `byte 0x00` otherwise, `the end of the body` for nil.
    static func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "the end of the body" }
        if byte > 0x20, byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count == 1 ? "0" : "")\(hex)"
    }
}
