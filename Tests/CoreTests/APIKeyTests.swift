import Core
import Crypto
import Foundation
import Testing

@Suite struct APIKeyTests {
    @Test func generatedKeysParseBackToTheSameIDAndHash() throws {
        let key = APIKey.generate()
        let parsed = try #require(APIKey(token: key.token[...]))
        #expect(parsed.keyID == key.keyID)
        #expect(parsed.secretHash == key.secretHash)
        #expect(key.token.hasPrefix("bo_\(key.keyID)_"))
        #expect(key.token.utf8.count == 59)
        #expect(key.keyID.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) })
    }

    @Test func everyKeyIsDifferent() {
        let keys = (0..<200).map { _ in APIKey.generate() }
        #expect(Set(keys.map(\.keyID)).count == 200)
        #expect(Set(keys.map(\.token)).count == 200)
    }

    @Test(arguments: [
        "", "bo_", "bo_abc_def", "Bo_abcdefghijkl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "bo_ABCDEFGHIJKL_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "bo_abcdefghijkl-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "bo_abcdefghijkl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
        "bo_abcdefghijkl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "bo_abcdefghijkl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "bo_abcdefghijk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ])
    func refusesAnythingButTheKeyForm(token: String) {
        #expect(APIKey(token: token[...]) == nil)
    }

    @Test func acceptsTheUrlSafeAlphabetWithUnderscoresInTheSecret() throws {
        let token = "bo_abcdefghijkl_" + String(repeating: "_-", count: 21) + "A"
        let key = try #require(APIKey(token: token[...]))
        #expect(key.keyID == "abcdefghijkl")
    }

    /// The last digit of a 32-byte secret carries 4 bits of it and 2 past it: only one form of a key
    /// is that key.
    @Test func refusesASecretWithBitsSetPastItsLastByte() throws {
        let key = APIKey.generate()
        let canonical = key.token
        let last = canonical.utf8.last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let value = alphabet.firstIndex(of: last)!
        #expect(value & 0b11 == 0)
        for low in 1...3 {
            let variant = String(canonical.dropLast()) + String(UnicodeScalar(alphabet[value | low]))
            #expect(APIKey(token: variant[...]) == nil, "\(variant)")
        }
    }

    @Test func decodesSecretsAsFoundationsBase64Does() throws {
        for _ in 0..<500 {
            let key = APIKey.generate()
            let secret = key.token.split(separator: "_", maxSplits: 2).last!
            let standard = secret.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
            let expected = try #require(Data(base64Encoded: standard))
            let parsed = try #require(APIKey(token: key.token[...]))
            #expect(parsed.secretHash == APIKeySecretHash(digest: Array(SHA256.hash(data: expected))))
        }
    }

    @Test func secretHashRoundTripsThroughHexAndComparesByValue() throws {
        let hash = APIKey.generate().secretHash
        let copy = try #require(APIKeySecretHash(hex: hash.hex))
        #expect(copy.matches(hash))
        #expect(!APIKey.generate().secretHash.matches(hash))
        #expect(APIKeySecretHash(hex: String(hash.hex.dropLast())) == nil)
        #expect(APIKeySecretHash(hex: hash.hex.uppercased()) == nil || hash.hex == hash.hex.uppercased())
        #expect(!hash.description.contains(hash.hex))
    }

    @Test func parsesScopeLists() {
        #expect(APIScope.parseList("orders:read") == [.ordersRead])
        #expect(APIScope.parseList("orders:write,orders:read") == [.ordersRead, .ordersWrite])
        #expect(APIScope.parseList("") == nil)
        #expect(APIScope.parseList("orders:read,") == nil)
        #expect(APIScope.parseList("orders:delete") == nil)
        #expect(APIScope.text([.ordersWrite, .ordersRead]) == "orders:read,orders:write")
    }
}
