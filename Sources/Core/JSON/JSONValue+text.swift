extension JSONValue {
    /// Compact JSON text of the value: members in their order, numbers as their literal text, so a
    /// parsed document written again keeps every value exactly.
    public var text: String {
        var text = ""
        write(into: &text)
        return text
    }

    public func write(into text: inout String) {
        switch self {
        case .object(let object): object.write(into: &text)
        case .array(let values):
            text += "["
            for (index, value) in values.enumerated() {
                if index > 0 { text += "," }
                value.write(into: &text)
            }
            text += "]"
        case .string(let string): JSONText.appendQuoted(string, to: &text)
        case .number(let literal): text += literal
        case .bool(let value): text += value ? "true" : "false"
        case .null: text += "null"
        }
    }
}

extension JSONObject {
    public var text: String {
        var text = ""
        write(into: &text)
        return text
    }

    public func write(into text: inout String) {
        text += "{"
        for (index, member) in members.enumerated() {
            if index > 0 { text += "," }
            JSONText.appendQuoted(member.key, to: &text)
            text += ":"
            member.value.write(into: &text)
        }
        text += "}"
    }
}
