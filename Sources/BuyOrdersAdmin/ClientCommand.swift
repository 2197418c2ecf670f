import ArgumentParser
import Core

struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Creates and lists clients, and sets their rate limits.",
        subcommands: [Create.self, List.self, SetRateLimit.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Creates a client.")

        @Argument(help: "The client's name, its id: 1 to 64 of a-z, 0-9, _ and -.")
        var name: String

        func run() throws {
            let client = try writeModel().createClient(name)
            print("created client \(client.id)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists every client, its rate limit and its keys.")

        func run() throws {
            let rows = try writeModel().clients().map { client, keys in
                [
                    client.id, client.createdAt,
                    client.rateLimitPerS.map { "\($0)/s, burst \(client.rateLimitBurst ?? 0)" } ?? "default",
                    "\(keys)",
                ]
            }
            print(Table(["CLIENT", "CREATED", "RATE LIMIT", "ACTIVE KEYS"], rows))
        }
    }

    struct SetRateLimit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-rate-limit",
            abstract: "Gives a client its own rate limit (per instance of each service).",
            discussion: "Running services apply it within 5 seconds. Without --burst, the burst is twice the rate.")

        @Argument(help: "The client's name.")
        var name: String

        @Argument(help: "Requests per second, exact to a thousandth, such as 50 or 0.5.")
        var perSecond: String

        @Option(help: "How many requests may come at once (default: twice the rate, at least 1).")
        var burst: Int64?

        func validate() throws {
            guard let milli = RateLimit.parsePerSecond(perSecond), milli <= 1_000_000_000_000 else {
                throw ValidationError("PER_S must be a positive number of requests per second with at most 3 decimals, such as 50 or 0.5")
            }
            if let burst, !(1...1_000_000_000).contains(burst) {
                throw ValidationError("--burst must be from 1 to 1000000000")
            }
            _ = milli
        }

        func run() throws {
            let milli = RateLimit.parsePerSecond(perSecond)!
            let limit = RateLimit(milliPerSecond: milli, burst: burst ?? max(1, (2 * milli + 999) / 1000))!
            let client = try writeModel().setRateLimit(client: name, limit)
            print("client \(client.id): rate limit \(limit)")
        }
    }
}
