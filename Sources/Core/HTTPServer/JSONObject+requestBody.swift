extension JSONObject {
    /// A request body's JSON object, strictly parsed, or a 400 problem naming the byte and what is wrong.
    public init(requestBody bytes: some Collection<UInt8>, parser: JSONParser = JSONParser()) throws(Problem) {
        do {
            self = try parser.parseObject(bytes)
        } catch {
            throw Problem.malformed(error)
        }
    }
}

extension Problem {
    /// The 400 for a body that is not strict JSON: `invalid JSON at byte 17: duplicate key "amount"`.
    public static func malformed(_ error: JSONParseError) -> Problem {
        switch error.reason {
        case .empty, .tooLarge: malformed(error.description)
        default: malformed("invalid JSON \(error.description)")
        }
    }
}
