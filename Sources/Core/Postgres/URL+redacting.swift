import Foundation

extension URL {
    /// The URL with any password replaced by `***`, for logs and messages.
    public var redactingPassword: String { URL.redactingPassword(in: absoluteString) }

    /// `text`, a URL as someone wrote it (well-formed or not), with the password of its user info and
    /// the value of any `password=` parameter (of a query, or of a libpq `key=value` string) replaced
    /// by `***`.
    ///
    /// Works on the text, not on a parsed URL, because the values that need it most are those that do
    /// not parse. The user info ends at the last `@`, so a password holding an unencoded `@`, `/` or
    /// `?` is still hidden whole: when in doubt it hides more, never less.
    public static func redactingPassword(in text: String) -> String {
        redactingPasswordParameters(in: redactingUserInfoPassword(in: Substring(text)))
    }

    private static func redactingUserInfoPassword(in text: Substring) -> Substring {
        let authority = text.range(of: "://").map { text[$0.upperBound...] } ?? text
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return text
        }
        return text[...colon] + "***" + text[at...]
    }

    /// Each `password=` that starts a parameter; its value runs to the next `&`, `#` or blank, or is quoted.
    private static func redactingPasswordParameters(in text: Substring) -> String {
        var result = ""
        var rest = text
        while let key = rest.range(of: "password=", options: .caseInsensitive) {
            let before = key.lowerBound == text.startIndex ? nil : text[text.index(before: key.lowerBound)]
            let startsParameter = before.map { "?&;".contains($0) || $0.isWhitespace } ?? true
            var value = rest[key.upperBound...]
            if value.first == "'" {
                let close = value.dropFirst().firstIndex(of: "'").map(value.index(after:)) ?? value.endIndex
                value = value[..<close]
            } else {
                value = value.prefix { $0 != "&" && $0 != "#" && !$0.isWhitespace }
            }
            result += rest[..<key.upperBound]
            result += startsParameter && !value.isEmpty ? "***" : value
            rest = rest[value.endIndex...]
        }
        return result + rest
    }
}
