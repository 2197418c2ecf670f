import Core
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
