import Crypto
import Foundation

/// A BuyOrders API key: `bo_<key id>_<secret>`. The key id (lowercase letters and digits) names the
/// key in tables and logs; the secret (32 random bytes, base64url without padding) is shown once,
/// when the key is made, and only its SHA-256 is stored. A secret of 256 random bits needs no slow
/// hash: guessing it is as hard as guessing the hash's input.
public struct APIKey: Sendable {
    public static let prefix = "bo_"
    public static let keyIDLength = 12
    public static let secretLength = 32
    /// The key id's alphabet: 36 symbols, so 12 of them carry 62 bits.
    static let keyIDAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    public let keyID: String
    private let secret: [UInt8]

    /// Parses a presented key; nil unless it has exactly the form of a key this service makes. It reads
    /// bytes, not characters: every request of every business route parses one.
    public init?(token: Substring) {
        let bytes = Array(token.utf8)
        guard bytes.count == Self.tokenLength, bytes.starts(with: Self.prefix.utf8) else { return nil }
        let keyIDEnd = Self.prefix.utf8.count + Self.keyIDLength
        let keyID = bytes[Self.prefix.utf8.count..<keyIDEnd]
        guard keyID.allSatisfy({ Self.keyIDAlphabet.contains($0) }), bytes[keyIDEnd] == UInt8(ascii: "_"),
            let secret = Base64URL.decode(bytes[(keyIDEnd + 1)...]), secret.count == Self.secretLength
        else { return nil }
        self.keyID = String(decoding: keyID, as: UTF8.self)
        self.secret = secret
    }

    private init(keyID: String, secret: [UInt8]) {
        self.keyID = keyID
        self.secret = secret
    }

    /// A new key from the system's CSPRNG (getrandom).
    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        let keyID = String(
            decoding: (0..<keyIDLength).map { _ in keyIDAlphabet.randomElement(using: &generator)! }, as: UTF8.self)
        let secret = (0..<secretLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return APIKey(keyID: keyID, secret: secret)
    }

    /// The whole key, as the client sends it. Print it once; never log it.
    public var token: String { Self.prefix + keyID + "_" + Base64URL.encode(secret) }

    /// What is stored in place of the secret.
    public var secretHash: APIKeySecretHash { APIKeySecretHash(digest: Array(SHA256.hash(data: secret))) }

    /// `bo_` + 12 + `_` + 43 (32 bytes in unpadded base64url).
    static let tokenLength = prefix.count + keyIDLength + 1 + 43
}

/// The SHA-256 of a key's secret.
public struct APIKeySecretHash: Sendable, Equatable, CustomStringConvertible {
    public let digest: [UInt8]

    public init(digest: [UInt8]) {
        self.digest = digest
    }

    /// Reads the lowercase hex PostgreSQL's `encode(..., 'hex')` gives; nil unless 64 hex digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.digest = bytes
    }

    /// Lowercase hex, for `decode($1, 'hex')`.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }

    public var description: String { "sha256:" + hex.prefix(8) + "…" }

    /// Compares in time that does not depend on where the digests differ.
    public func matches(_ other: APIKeySecretHash) -> Bool {
        guard digest.count == other.digest.count else { return false }
        var difference: UInt8 = 0
        for index in digest.indices { difference |= digest[index] ^ other.digest[index] }
        return difference == 0
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// Unpadded base64url (RFC 4648 §5), as keys carry their secret.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.last == "=" { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    /// Only the url-safe alphabet, no padding, and no bits set past the last whole byte (the one
    /// encoding of those bytes); nil for anything else.
    static func decode(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count * 3 / 4)
        var pending: UInt32 = 0
        var pendingBits = 0
        for digit in digits {
            guard let value = sextet(digit) else { return nil }
            pending = pending << 6 | UInt32(value)
            pendingBits += 6
            if pendingBits >= 8 {
                pendingBits -= 8
                bytes.append(UInt8(truncatingIfNeeded: pending >> UInt32(pendingBits)))
                pending &= (1 << UInt32(pendingBits)) - 1
            }
        }
        return pending == 0 ? bytes : nil
    }

    private static func sextet(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): digit - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
