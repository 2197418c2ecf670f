/// A strict RFC 8259 parser of UTF-8 request bodies that refuses everything a lenient parser would
/// guess at: a duplicate key, a trailing comma, a byte-order mark, UTF-16 or UTF-32, invalid UTF-8,
/// a lone surrogate in a `\u` escape, a leading zero, content after the value, and values nested
/// deeper or bodies larger than its limits. It reads the bytes in place (a string without escapes
/// is one copy, into its `String`) and keeps numbers as their literal text.
public struct JSONParser: Sendable {
    public var maxDepth: Int
    public var maxBytes: Int

    public init(maxDepth: Int = 32, maxBytes: Int = 1 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }

    /// The body's one value, which must be an object.
    public func parseObject(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONObject {
        guard case .object(let object) = try parse(bytes, requireObject: true) else {
            preconditionFailure("parse(requireObject:) returns an object or throws")
        }
        return object
    }

    /// The body's one value, of any kind.
    public func parseValue(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        try parse(bytes, requireObject: false)
    }

    private func parse(_ bytes: some Collection<UInt8>, requireObject: Bool) throws(JSONParseError) -> JSONValue {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> in
            var reader = Reader(bytes: buffer, maxDepth: maxDepth)
            return Result { () throws(JSONParseError) in try reader.document(requireObject: requireObject) }
        }
        if bytes.count > maxBytes { throw JSONParseError(offset: maxBytes, reason: .tooLarge(limit: maxBytes)) }
        let result = bytes.withContiguousStorageIfAvailable(parse) ?? Array(bytes).withUnsafeBufferPointer(parse)
        return try result.get()
    }
}

/// One pass over the bytes; `index` is the next byte to read.
private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: - Document

    mutating func document(requireObject: Bool) throws(JSONParseError) -> JSONValue {
        guard !bytes.isEmpty else { throw JSONParseError(offset: 0, reason: .empty) }
        try checkEncoding()
        skipWhitespace()
        if requireObject, peek != UInt8(ascii: "{") { throw unexpected("a JSON object") }
        let value = try value(depth: 0)
        skipWhitespace()
        if let byte = peek { throw JSONParseError(offset: index, reason: .trailingContent(found: byte)) }
        return value
    }

    /// Names UTF-16 and UTF-32 bodies and byte-order marks, which would otherwise fail as some byte
    /// that is not expected.
    private func checkEncoding() throws(JSONParseError) {
        let head = min(bytes.count, 4)
        func at(_ index: Int) -> UInt8? { index < head ? bytes[index] : nil }
        let mark: String? =
            switch (at(0), at(1), at(2), at(3)) {
            case (0xEF, 0xBB, 0xBF, _): "UTF-8"
            case (0x00, 0x00, 0xFE, 0xFF), (0xFF, 0xFE, 0x00, 0x00): "UTF-32"
            case (0xFE, 0xFF, _, _), (0xFF, 0xFE, _, _): "UTF-16"
            default: nil
            }
        if let mark { throw JSONParseError(offset: 0, reason: .byteOrderMark(encoding: mark)) }
        // RFC 8259's first characters are ASCII, so NULs among the first bytes tell the encoding.
        var firstNUL: Int?
        var nuls = 0
        for index in 0..<head where bytes[index] == 0 {
            firstNUL = firstNUL ?? index
            nuls += 1
        }
        guard let firstNUL else { return }
        let encoding = head == 4 && nuls == 3 ? "UTF-32" : "UTF-16"
        throw JSONParseError(offset: firstNUL, reason: .notUTF8(encoding: encoding))
    }

    // MARK: - Values

    private mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = peek else { throw unexpected("a value") }
        switch byte {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw unexpected("a value")
        }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> JSONObject {
        guard depth <= maxDepth else { throw JSONParseError(offset: index, reason: .tooDeep(limit: maxDepth)) }
        index += 1
        skipWhitespace()
        var members: [JSONObject.Member] = []
        if peek == UInt8(ascii: "}") {
            index += 1
            return JSONObject(members)
        }
        var keys = KeySet()
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else {
                if peek == UInt8(ascii: "}") { throw JSONParseError(offset: index, reason: .trailingComma) }
                throw unexpected("a key in double quotes")
            }
            let keyOffset = index
            let key = try string()
            guard keys.insert(key, among: members) else {
                throw JSONParseError(offset: keyOffset, reason: .duplicateKey(key))
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after the key")
            skipWhitespace()
            members.append(JSONObject.Member(key: key, value: try value(depth: depth)))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return JSONObject(members)
            default: throw unexpected("',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= maxDepth else { throw JSONParseError(offset: index, reason: .tooDeep(limit: maxDepth)) }
        index += 1
        skipWhitespace()
        var elements: [JSONValue] = []
        if peek == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            skipWhitespace()
            if peek == UInt8(ascii: "]") { throw JSONParseError(offset: index, reason: .trailingComma) }
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return elements
            default: throw unexpected("',' or ']'")
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard peek == byte else { throw unexpected("\(word)") }
            index += 1
        }
    }

    // MARK: - Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as written.
    private mutating func number() throws(JSONParseError) -> String {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { throw unexpected("a digit") }
        index += 1
        if first == UInt8(ascii: "0"), let next = peek, isDigit(next) {
            throw JSONParseError(offset: start, reason: .leadingZero)
        }
        skipDigits()
        if peek == UInt8(ascii: ".") {
            index += 1
            try requireDigit()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            try requireDigit()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func requireDigit() throws(JSONParseError) {
        guard let byte = peek, isDigit(byte) else { throw unexpected("a digit") }
        skipDigits()
    }

    private mutating func skipDigits() {
        while let byte = peek, isDigit(byte) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    // MARK: - Strings

    /// A string from its opening quote; the common case (no escape) is one copy of its bytes.
    private mutating func string() throws(JSONParseError) -> String {
        index += 1
        let start = index
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""):
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            case UInt8(ascii: "\\"):
                var decoded = Array(bytes[start..<index])
                return try escapedString(continuing: &decoded)
            default:
                try skipCharacter(byte)
            }
        }
        throw unexpected("'\"' to end the string")
    }

    /// The rest of a string once it has an escape; `decoded` holds what came before.
    private mutating func escapedString(continuing decoded: inout [UInt8]) throws(JSONParseError) -> String {
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &decoded)
            default:
                let start = index
                try skipCharacter(byte)
                decoded.append(contentsOf: bytes[start..<index])
            }
        }
        throw unexpected("'\"' to end the string")
    }

    /// One escape sequence from its backslash, appended to `decoded` as UTF-8.
    private mutating func escape(into decoded: inout [UInt8]) throws(JSONParseError) {
        let start = index
        index += 1
        let simple: UInt8?
        switch peek {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw JSONParseError(offset: start, reason: .invalidEscape)
        }
        index += 1
        if let simple {
            decoded.append(simple)
            return
        }
        let unit = try hexUnit(escapeStart: start)
        let scalar: Unicode.Scalar?
        switch unit {
        case 0xD800...0xDBFF:
            guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONParseError(offset: start, reason: .loneSurrogate)
            }
            index += 2
            let low = try hexUnit(escapeStart: index - 2)
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(offset: start, reason: .loneSurrogate) }
            scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
        case 0xDC00...0xDFFF:
            throw JSONParseError(offset: start, reason: .loneSurrogate)
        default:
            scalar = Unicode.Scalar(unit)
        }
        guard let scalar else { throw JSONParseError(offset: start, reason: .invalidEscape) }
        decoded.append(contentsOf: UTF8.encode(scalar)!)
    }

    /// The four hex digits after `\u`.
    private mutating func hexUnit(escapeStart: Int) throws(JSONParseError) -> UInt16 {
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = peek else { throw JSONParseError(offset: escapeStart, reason: .invalidEscape) }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(offset: escapeStart, reason: .invalidEscape)
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    /// Steps over one character of a string that needs no decoding: printable ASCII or a
    /// well-formed UTF-8 sequence (Unicode table 3-7: no overlong form, no surrogate, at most U+10FFFF).
    private mutating func skipCharacter(_ byte: UInt8) throws(JSONParseError) {
        if byte < 0x20 { throw JSONParseError(offset: index, reason: .controlCharacter(byte)) }
        if byte < 0x80 {
            index += 1
            return
        }
        let second: ClosedRange<UInt8>
        let length: Int
        switch byte {
        case 0xC2...0xDF: (second, length) = (0x80...0xBF, 2)
        case 0xE0: (second, length) = (0xA0...0xBF, 3)
        case 0xE1...0xEC, 0xEE...0xEF: (second, length) = (0x80...0xBF, 3)
        case 0xED: (second, length) = (0x80...0x9F, 3)
        case 0xF0: (second, length) = (0x90...0xBF, 4)
        case 0xF1...0xF3: (second, length) = (0x80...0xBF, 4)
        case 0xF4: (second, length) = (0x80...0x8F, 4)
        default: throw JSONParseError(offset: index, reason: .invalidUTF8)
        }
        guard index + length <= bytes.count, second.contains(bytes[index + 1]),
            (2..<length).allSatisfy({ (0x80...0xBF).contains(bytes[index + $0]) })
        else { throw JSONParseError(offset: index, reason: .invalidUTF8) }
        index += length
    }

    // MARK: - Bytes

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard peek == byte else { throw unexpected(what) }
        index += 1
    }

    private func unexpected(_ expected: String) -> JSONParseError {
        JSONParseError(offset: index, reason: .unexpected(found: peek, expected: expected))
    }
}

/// The keys of one object so far: a linear scan while it is small, a set once it is not, so that
/// a body of many keys costs no more than linear time.
private struct KeySet {
    private var set: Set<String>?

    /// False when `key` is already a key of `members`.
    mutating func insert(_ key: String, among members: [JSONObject.Member]) -> Bool {
        if set == nil, members.count >= 16 { set = Set(members.map(\.key)) }
        if set != nil { return set!.insert(key).inserted }
        return !members.contains { $0.key == key }
    }
}
