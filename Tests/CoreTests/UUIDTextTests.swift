import Core
import Foundation
import Testing

@Suite struct UUIDTextTests {
    @Test func rendersTheSameTextAsFoundationInLowercase() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.lowercaseText == id.uuidString.lowercased())
        }
        #expect(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).lowercaseText
            == "00000000-0000-0000-0000-000000000000")
    }

    @Test func parsesWhatFoundationParsesInEitherCase() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.lowercaseText) == id)
            #expect(UUID(text: "/\(id.lowercaseText)/".dropFirst().dropLast()) == id, "a substring of a longer text")
        }
        #expect(UUID(text: "FFFFFFFF-ffff-FfFf-0000-0123456789aB") == UUID(uuidString: "FFFFFFFF-ffff-FfFf-0000-0123456789aB"))
    }

    @Test(arguments: [
        "", "not-a-uuid", "0123456789abcdef0123456789abcdef",
        "01234567-89ab-cdef-0123-456789abcde", "01234567-89ab-cdef-0123-456789abcdef0",
        "01234567-89ab-cdef-0123-456789abcdeg", "0123456789-ab-cdef-0123-456789abcdef",
        "01234567_89ab_cdef_0123_456789abcdef", " 1234567-89ab-cdef-0123-456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdé", "{01234567-89ab-cdef-0123-456789abcdef}",
    ])
    func refusesAnythingButTheCanonicalForm(text: String) {
        #expect(UUID(text: text) == nil)
        #expect(UUID(text: text[...]) == nil)
    }

    @Test func randomIdentifiersAreVersionFourAndDistinct() {
        var seen = Set<UUID>()
        for _ in 0..<10_000 {
            let id = UUID.random()
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }
}
