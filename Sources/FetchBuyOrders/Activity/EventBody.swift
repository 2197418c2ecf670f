/// An event's stored body as a client is shown it: exactly as published, except that a key's events
/// leave out `api_key.secret_sha256` (the read model needs the hash to check keys; a client never needs
/// it, and a hash of a secret is not to be handed around).
enum EventBody {
    static func forClient(type: String, body: String) -> String {
        guard type.hasPrefix("api_key.") else { return body }
        return removingMember("secret_sha256", ofObject: "api_key", in: body)
    }

    /// `body` without the member `name` of its top-level member object `object`, every other byte
    /// unchanged (with the comma that separated it). `body` is valid JSON (read-model-sync decoded it).
    static func removingMember(_ name: String, ofObject object: String, in body: String) -> String {
        let bytes = Array(body.utf8)
        let scanner = JSONScanner(bytes: bytes)
        guard let inner = scanner.memberValue(named: object, inObjectAt: scanner.firstNonSpace(from: 0)),
            bytes[inner] == UInt8(ascii: "{"), let member = scanner.memberRange(named: name, inObjectAt: inner)
        else { return body }
        var kept = bytes
        kept.removeSubrange(member)
        return String(decoding: kept, as: UTF8.self)
    }
}

/// Just enough of JSON to find members by key in valid JSON text without decoding it.
private struct JSONScanner {
    let bytes: [UInt8]

    func firstNonSpace(from index: Int) -> Int {
        var index = index
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index
    }

    /// The members of the object at `start`: the range of each (from its key to the end of its value) and its key.
    func members(ofObjectAt start: Int) -> [(key: String, keyStart: Int, valueStart: Int, end: Int)] {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else { return [] }
        var members: [(String, Int, Int, Int)] = []
        var index = firstNonSpace(from: start + 1)
        while index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let keyEnd = endOfString(at: index)
            let key = String(decoding: bytes[(index + 1)..<(keyEnd - 1)], as: UTF8.self)
            let colon = firstNonSpace(from: keyEnd)
            let valueStart = firstNonSpace(from: colon + 1)
            let valueEnd = endOfValue(at: valueStart)
            members.append((key, index, valueStart, valueEnd))
            index = firstNonSpace(from: valueEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { break }
            index = firstNonSpace(from: index + 1)
        }
        return members
    }

    func memberValue(named name: String, inObjectAt start: Int) -> Int? {
        members(ofObjectAt: start).first { $0.key == name }?.valueStart
    }

    /// The bytes to remove for member `name`: the member and the comma before it (after it, if it is first).
    func memberRange(named name: String, inObjectAt start: Int) -> Range<Int>? {
        let members = members(ofObjectAt: start)
        guard let index = members.firstIndex(where: { $0.key == name }) else { return nil }
        if index > 0 { return members[index - 1].end..<members[index].end }
        if members.count > 1 { return members[0].keyStart..<members[1].keyStart }
        return members[0].keyStart..<firstNonSpace(from: members[0].end)
    }

    /// The index after the closing quote of the string at `start`.
    func endOfString(at start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return bytes.count
    }

    /// The index after the value at `start`.
    func endOfValue(at start: Int) -> Int {
        guard start < bytes.count else { return start }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return endOfString(at: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = endOfString(at: index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default: break
                }
                index += 1
            }
            return bytes.count
        default:
            var index = start
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                index += 1
            }
            return index
        }
    }
}
