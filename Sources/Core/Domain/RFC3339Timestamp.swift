import Foundation

/// An instant given as an RFC 3339 timestamp (`2026-11-23T19:49:44.395736Z`, `2026-11-23T20:49:44+01:00`),
/// kept to the microsecond, PostgreSQL's precision; further fraction digits are cut off.
public struct RFC3339Timestamp: Comparable, Sendable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// The range PostgreSQL takes without question, in UTC: years 0001 to 9999.
    private static let range: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// Parses the strict RFC 3339 `date-time` form; nil for anything else or an instant out of range.
    public init?(parsing text: Substring) {
        var scanner = Scanner(text.utf8)
        guard let year = scanner.digits(4), scanner.skip("-"),
            let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2), scanner.skip("T") || scanner.skip("t"),
            let hour = scanner.digits(2), scanner.skip(":"),
            let minute = scanner.digits(2), scanner.skip(":"),
            let second = scanner.digits(2)
        else { return nil }
        var micros: Int64 = 0
        if scanner.skip(".") {
            var count = 0
            while let digit = scanner.digits(1) {
                if count < 6 { micros = micros * 10 + digit }
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { micros *= 10 }
        }
        let offsetMinutes: Int64
        if scanner.skip("Z") || scanner.skip("z") {
            offsetMinutes = 0
        } else {
            let sign: Int64
            if scanner.skip("+") {
                sign = 1
            } else if scanner.skip("-") {
                sign = -1
            } else {
                return nil
            }
            guard let offsetHour = scanner.digits(2), scanner.skip(":"), let offsetMinute = scanner.digits(2),
                offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
        }
        guard scanner.isAtEnd, year >= 1, (1...12).contains(month),
            (1...Self.daysIn(month: month, year: year)).contains(day),
            hour <= 23, minute <= 59, second <= 59
        else { return nil }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60
        let value = seconds * 1_000_000 + micros
        guard Self.range.contains(value) else { return nil }
        self.microseconds = value
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, which PostgreSQL reads as the same instant.
    public var utcText: String {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let micros = microseconds - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        return "\(Self.padded(year, 4))-\(Self.padded(month, 2))-\(Self.padded(day, 2))T"
            + "\(Self.padded(secondOfDay / 3_600, 2)):\(Self.padded(secondOfDay / 60 % 60, 2)):"
            + "\(Self.padded(secondOfDay % 60, 2)).\(Self.padded(micros, 6))Z"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.microseconds < rhs.microseconds }

    /// The same instant as a `Date` (a time, never money, so floating point is fine here).
    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    // MARK: - Calendar (proleptic Gregorian, after Howard Hinnant's days_from_civil)

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// Reads ASCII fields off the front of UTF-8 text.
private struct Scanner {
    private var bytes: Substring.UTF8View

    init(_ bytes: Substring.UTF8View) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard bytes.first == UInt8(ascii: character) else { return false }
        bytes.removeFirst()
        return true
    }

    /// Exactly `count` decimal digits as a number, or nil (consuming nothing).
    mutating func digits(_ count: Int) -> Int64? {
        var value: Int64 = 0
        var index = bytes.startIndex
        for _ in 0..<count {
            guard index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
                return nil
            }
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index = bytes.index(after: index)
        }
        bytes = bytes[index...]
        return value
    }
}
