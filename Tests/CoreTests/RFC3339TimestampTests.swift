import Core
import Foundation
import Testing

@Suite struct RFC3339TimestampTests {
    @Test(arguments: [
        ("2026-11-23T19:49:44.395736Z", "2026-11-23T19:49:44.395736Z"),
        ("2026-11-23t19:49:44z", "2026-11-23T19:49:44.000000Z"),
        ("2026-11-23T20:49:44.5+01:00", "2026-11-23T19:49:44.500000Z"),
        ("2026-11-23T18:19:44.1234567-01:30", "2026-11-23T19:49:44.123456Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z"),
        ("2000-03-01T00:30:00+01:00", "2000-02-29T23:30:00.000000Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ])
    func parsesAndRendersInUTC(text: String, utc: String) throws {
        let timestamp = try #require(RFC3339Timestamp(parsing: text[...]))
        #expect(timestamp.utcText == utc)
        #expect(RFC3339Timestamp(parsing: utc[...]) == timestamp)
    }

    @Test func countsMicrosecondsFromTheEpoch() throws {
        #expect(RFC3339Timestamp(parsing: "1970-01-01T00:00:00Z")?.microseconds == 0)
        #expect(RFC3339Timestamp(parsing: "1970-01-01T00:00:01.000001Z")?.microseconds == 1_000_001)
        #expect(RFC3339Timestamp(parsing: "1969-12-31T23:59:59Z")?.microseconds == -1_000_000)
        #expect(RFC3339Timestamp(parsing: "2026-01-01T00:00:00Z")?.microseconds == 1_767_225_600_000_000)
    }

    @Test(arguments: [
        "", "2026-11-23", "2026-11-23T19:49:44", "2026-11-23 19:49:44Z", "2026-11-23T19:49Z", "2026-1-23T19:49:44Z",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-11-23T24:00:00Z", "2026-11-23T23:60:00Z", "2026-11-23T23:59:60Z", "2026-11-23T19:49:44.Z",
        "2026-11-23T19:49:44+0100", "2026-11-23T19:49:44+24:00", "2026-11-23T19:49:44Z ", "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "+2026-11-23T19:49:44Z", "２026-11-23T19:49:44Z",
    ])
    func refusesAnythingElse(text: String) {
        #expect(RFC3339Timestamp(parsing: text[...]) == nil)
    }
}

extension RFC3339TimestampTests {
    @Test func givesTheSameInstantAsADate() throws {
        let timestamp = try #require(RFC3339Timestamp(parsing: "2026-11-23T19:49:44.395736Z"))
        #expect(timestamp.date == Date(timeIntervalSince1970: 1_795_463_384.395736))
    }
}
