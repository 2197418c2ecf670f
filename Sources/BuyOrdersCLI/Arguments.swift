import ArgumentParser
import Core

extension Currency: ExpressibleByArgument {
    /// `USD`, `eur`: an ISO 4217 code of a currency BuyOrders trades, in either case.
    public init?(argument: String) {
        self.init(code: argument.uppercased())
    }

    public static var allValueStrings: [String] { allCases.map(\.code) }
}

/// An RFC 3339 timestamp on the command line, kept as typed (the API reads it).
struct Timestamp: ExpressibleByArgument, Sendable {
    let text: String

    init?(argument: String) {
        guard RFC3339Timestamp(parsing: argument[...]) != nil else { return nil }
        text = argument
    }
}

/// `--from` and `--to`, shared by `orders` and `activity`.
struct TimeRange: ParsableArguments {
    @Option(help: "Only what happened at or after this RFC 3339 time, such as 2026-12-01T00:00:00Z.")
    var from: Timestamp?

    @Option(help: "Only what happened before this RFC 3339 time.")
    var to: Timestamp?

    func validate() throws {
        if let from, let to, let start = RFC3339Timestamp(parsing: from.text[...]),
            let end = RFC3339Timestamp(parsing: to.text[...]), start >= end
        {
            throw ValidationError("--to must be later than --from")
        }
    }

    var query: [(String, String?)] { [("from", from?.text), ("to", to?.text)] }
}

/// `--all`, `--page-size` and `--json`, shared by the list commands.
struct Listing: ParsableArguments {
    @Flag(help: "Every page, following last_reference to the end, instead of the first page.")
    var all = false

    @Option(help: "Rows per request, 1 to 100.")
    var pageSize = 20

    @Flag(help: "The API's JSON instead of a table: the page as it came, or with --all one object holding every row.")
    var json = false

    func validate() throws {
        guard (1...100).contains(pageSize) else { throw ValidationError("--page-size must be from 1 to 100") }
    }
}
