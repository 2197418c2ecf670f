import Core
import Testing

@Suite struct JSONParserTests {
    let parser = JSONParser()

    func object(_ text: String) throws -> JSONObject {
        try parser.parseObject(Array(text.utf8))
    }

    func refusal(_ bytes: [UInt8], parser: JSONParser = JSONParser()) -> JSONParseError? {
        do {
            _ = try parser.parseObject(bytes)
            return nil
        } catch {
            return error
        }
    }

    func refusal(_ text: String) -> JSONParseError? { refusal(Array(text.utf8)) }

    // MARK: - What it accepts

    @Test func readsAnObjectKeepingMembersInOrder() throws {
        let parsed = try object(#"{"currency":"USD","amount":"123.45","n":1,"t":true,"f":false,"z":null}"#)
        #expect(parsed.keys == ["currency", "amount", "n", "t", "f", "z"])
        #expect(parsed["currency"] == .string("USD"))
        #expect(parsed["amount"] == .string("123.45"))
        #expect(parsed["t"] == .bool(true) && parsed["f"] == .bool(false) && parsed["z"] == .null)
        #expect(parsed["missing"] == nil)
    }

    @Test func readsTheEmptyObjectAndWhitespaceEverywhereItIsAllowed() throws {
        #expect(try object("{}").isEmpty)
        #expect(try object(" \t\r\n{ \t\r\n} \t\r\n").isEmpty)
        let spaced = try object(" {\n\t\"a\" \r: [ 1 , { } , [ ] ] ,\"b\":\"x\" }\n")
        #expect(spaced["a"] == .array([.number("1"), .object(JSONObject()), .array([])]))
        #expect(spaced["b"] == .string("x"))
    }

    @Test func readsNestedValues() throws {
        let parsed = try object(#"{"a":{"b":[1,[2,{"c":"d"}]]}}"#)
        let inner = JSONObject([.init(key: "c", value: .string("d"))])
        let b = JSONValue.array([.number("1"), .array([.number("2"), .object(inner)])])
        #expect(parsed["a"] == .object(JSONObject([.init(key: "b", value: b)])))
    }

    @Test(arguments: ["0", "-0", "123.45", "0.5", "-12", "1e3", "1E+3", "2.5e-10", "12345678901234567890.123456789"])
    func keepsEveryNumberAsItsLiteralText(literal: String) throws {
        #expect(try object(#"{"n":\#(literal)}"#)["n"] == .number(literal))
        #expect(try parser.parseValue(Array(literal.utf8)) == .number(literal))
    }

    @Test func decodesEveryEscape() throws {
        let parsed = try object(#"{"s":"q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20AC \ud83d\ude00 end"}"#)
        #expect(parsed["s"] == .string("q\" b\\ s/ \u{8}\u{c}\n\r\t Aé€ 😀 end"))
    }

    @Test func readsUTF8TextAndEscapedKeys() throws {
        let parsed = try object(#"{"name":"Zürich 東京 😀","k\u0065y":"v"}"#)
        #expect(parsed["name"] == .string("Zürich 東京 😀"))
        #expect(parsed["key"] == .string("v"))
    }

    @Test func readsTopLevelValuesOfAnyKindWhenAsked() throws {
        #expect(try parser.parseValue(Array(#" "text" "#.utf8)) == .string("text"))
        #expect(try parser.parseValue(Array("[true,null]".utf8)) == .array([.bool(true), .null]))
    }

    @Test func readsAnObjectOfManyKeys() throws {
        let body = "{" + (0..<500).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let parsed = try object(body)
        #expect(parsed.members.count == 500)
        #expect(parsed["k499"] == .number("499"))
    }

    // MARK: - What it refuses, where and why

    @Test func refusesADuplicateKeyNamingIt() {
        let error = refusal(#"{"amount":"1.00","amount":"2.00"}"#)
        #expect(error == JSONParseError(offset: 17, reason: .duplicateKey("amount")))
        #expect(error?.description == #"at byte 17: duplicate key "amount""#)
    }

    @Test func refusesADuplicateKeySpelledWithAnEscape() {
        #expect(refusal(#"{"amount":1,"am\u006funt":2}"#)?.reason == .duplicateKey("amount"))
    }

    @Test func refusesADuplicateKeyInABigObjectAndInANestedOne() {
        let body = "{" + (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + #","k7":0}"#
        #expect(refusal(body)?.reason == .duplicateKey("k7"))
        #expect(refusal(#"{"a":{"x":1,"x":2}}"#)?.reason == .duplicateKey("x"))
    }

    @Test(arguments: [#"{"a":1,}"#, #"{"a":[1,2,]}"#, #"{"a":1 , }"#])
    func refusesATrailingComma(body: String) {
        #expect(refusal(body)?.reason == .trailingComma)
    }

    @Test func refusesAByteOrderMark() {
        let body = Array(#"{"a":1}"#.utf8)
        #expect(refusal([0xEF, 0xBB, 0xBF] + body) == JSONParseError(offset: 0, reason: .byteOrderMark(encoding: "UTF-8")))
        #expect(refusal([0xFF, 0xFE] + utf16LE(#"{"a":1}"#))?.reason == .byteOrderMark(encoding: "UTF-16"))
        #expect(refusal([0xFE, 0xFF] + utf16BE(#"{"a":1}"#))?.reason == .byteOrderMark(encoding: "UTF-16"))
        #expect(refusal([0xFF, 0xFE, 0, 0] + utf16LE("{").flatMap { [$0, 0] })?.reason == .byteOrderMark(encoding: "UTF-32"))
        #expect(
            refusal([0xEF, 0xBB, 0xBF] + body)?.description
                == "at byte 0: a UTF-8 byte-order mark opens the body; send UTF-8 without one")
    }

    @Test func refusesUTF16AndUTF32() {
        #expect(refusal(utf16LE(#"{"a":1}"#)) == JSONParseError(offset: 1, reason: .notUTF8(encoding: "UTF-16")))
        #expect(refusal(utf16BE(#"{"a":1}"#)) == JSONParseError(offset: 0, reason: .notUTF8(encoding: "UTF-16")))
        #expect(refusal([UInt8(ascii: "{"), 0, 0, 0, UInt8(ascii: "}"), 0, 0, 0])?.reason == .notUTF8(encoding: "UTF-32"))
        #expect(refusal([0, 0, 0, UInt8(ascii: "{"), 0, 0, 0, UInt8(ascii: "}")])?.reason == .notUTF8(encoding: "UTF-32"))
        #expect(refusal(utf16LE(#"{"a":1}"#))?.description == "at byte 1: the body is UTF-16; send UTF-8")
    }

    @Test(arguments: [
        [0x80],  // a continuation byte alone
        [0xC0, 0xAF],  // an overlong '/'
        [0xC3],  // a sequence cut short
        [0xE0, 0x80, 0xAF],  // an overlong three-byte form
        [0xED, 0xA0, 0x80],  // a UTF-16 surrogate encoded in UTF-8
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xF5, 0x80, 0x80, 0x80],
        [0xFF],
    ] as [[UInt8]])
    func refusesInvalidUTF8InAString(sequence: [UInt8]) {
        let body = Array(#"{"a":"x"#.utf8) + sequence + Array(#"y"}"#.utf8)
        #expect(refusal(body) == JSONParseError(offset: 7, reason: .invalidUTF8))
    }

    @Test(arguments: [#"\ud83d"#, #"\ud83d\u0041"#, #"\ude00"#, #"\ud83dx"#, #"\ud83d\ud83d"#])
    func refusesALoneSurrogate(escape: String) {
        #expect(refusal(#"{"a":"\#(escape)"}"#) == JSONParseError(offset: 6, reason: .loneSurrogate))
    }

    @Test(arguments: [#"\x"#, #"\u12"#, #"\u12g4"#, #"\'"#, #"\U0041"#])
    func refusesAnInvalidEscape(escape: String) {
        #expect(refusal(#"{"a":"\#(escape)"}"#)?.reason == .invalidEscape)
    }

    @Test func refusesControlCharactersInStrings() {
        #expect(refusal("{\"a\":\"line\nbreak\"}") == JSONParseError(offset: 10, reason: .controlCharacter(0x0A)))
        #expect(refusal([UInt8]("{\"a\":\"".utf8) + [0x00] + [UInt8]("\"}".utf8))?.reason == .controlCharacter(0))
    }

    @Test(arguments: ["01", "-01", "00", "00.5"])
    func refusesLeadingZeros(literal: String) {
        #expect(refusal(#"{"n":\#(literal)}"#) == JSONParseError(offset: 5, reason: .leadingZero))
    }

    @Test(arguments: [
        ("+1", "a value"), ("-", "a digit"), ("-a", "a digit"), ("1.", "a digit"), (".5", "a value"),
        ("1e", "a digit"), ("1e+", "a digit"), ("1.e3", "a digit"), ("NaN", "a value"), ("Infinity", "a value"),
        ("0x10", "',' or '}'"), ("1.2.3", "',' or '}'"),
    ])
    func refusesMalformedNumbers(literal: String, expected: String) {
        guard case .unexpected(_, let what)? = refusal(#"{"n":\#(literal)}"#)?.reason else {
            Issue.record("\(literal) was not refused as unexpected")
            return
        }
        #expect(what == expected, "\(literal)")
    }

    @Test func refusesContentAfterTheValue() {
        #expect(refusal(#"{"a":1}x"#) == JSONParseError(offset: 7, reason: .trailingContent(found: UInt8(ascii: "x"))))
        #expect(refusal(#"{"a":1} {"b":2}"#)?.reason == .trailingContent(found: UInt8(ascii: "{")))
        #expect(refusal(#"{"a":1}"# + "\u{0}")?.reason == .trailingContent(found: 0))
        #expect(refusal(#"{"a":1}x"#)?.description == "at byte 7: 'x' after the end of the JSON value")
    }

    @Test func refusesWhatIsNotAnObject() {
        #expect(refusal("[1,2]") == JSONParseError(offset: 0, reason: .unexpected(found: UInt8(ascii: "["), expected: "a JSON object")))
        #expect(refusal(#""text""#)?.reason == .unexpected(found: UInt8(ascii: "\""), expected: "a JSON object"))
        #expect(refusal("   ")?.reason == .unexpected(found: nil, expected: "a JSON object"))
        #expect(refusal([]) == JSONParseError(offset: 0, reason: .empty))
        #expect(refusal([])?.description == "the body is empty; send a JSON object")
    }

    @Test(arguments: [
        (#"{"a":1"#, 6, "',' or '}'"), (#"{"a""#, 4, "':' after the key"), (#"{"a":}"#, 5, "a value"),
        (#"{a:1}"#, 1, "a key in double quotes"), (#"{'a':1}"#, 1, "a key in double quotes"),
        (#"{"a":"text}"#, 11, "'\"' to end the string"), (#"{"a":tru}"#, 8, "true"), (#"{"a":nul"#, 8, "null"),
        (#"{"a":1 "b":2}"#, 7, "',' or '}'"), (#"{"a":[1 2]}"#, 8, "',' or ']'"), (#"{"a":1}}"#, 7, ""),
        ("{\"a\":\u{a0}1}", 5, "a value"),
    ])
    func namesThePositionAndWhatWasExpected(body: String, offset: Int, expected: String) {
        let error = refusal(body)
        #expect(error?.offset == offset, "\(body): \(String(describing: error))")
        if case .unexpected(_, let what)? = error?.reason {
            #expect(what == expected, "\(body)")
        } else {
            #expect(expected.isEmpty, "\(body): \(String(describing: error))")
        }
    }

    @Test func describesWhatItFound() {
        #expect(refusal(#"{"a":1"#)?.description == "at byte 6: expected ',' or '}', found the end of the body")
        #expect(refusal("{\u{1}}")?.description == "at byte 1: expected a key in double quotes, found byte 0x01")
    }

    @Test func boundsTheNestingDepth() {
        let parser = JSONParser(maxDepth: 4)
        let deep = { (levels: Int) in
            Array(("{\"a\":" + String(repeating: "[", count: levels - 1) + String(repeating: "]", count: levels - 1) + "}").utf8)
        }
        #expect(throws: Never.self) { try parser.parseObject(deep(4)) }
        #expect(refusal(deep(5), parser: parser) == JSONParseError(offset: 8, reason: .tooDeep(limit: 4)))
        // The default limit holds against a body of nothing but brackets.
        let brackets = Array(("{\"a\":" + String(repeating: "[", count: 100_000)).utf8)
        #expect(refusal(brackets)?.reason == .tooDeep(limit: 32))
    }

    @Test func boundsTheSize() {
        let parser = JSONParser(maxBytes: 16)
        #expect(throws: Never.self) { try parser.parseObject(Array(#"{"a":"12345678"}"#.utf8)) }
        #expect(refusal(Array(#"{"a":"123456789"}"#.utf8), parser: parser) == JSONParseError(offset: 16, reason: .tooLarge(limit: 16)))
        #expect(refusal(Array(#"{"a":"123456789"}"#.utf8), parser: parser)?.description == "the body is larger than 16 bytes")
    }

    // MARK: - Helpers

    func utf16LE(_ text: String) -> [UInt8] { text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
    func utf16BE(_ text: String) -> [UInt8] { text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
}
