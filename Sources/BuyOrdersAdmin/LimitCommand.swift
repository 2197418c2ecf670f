import ArgumentParser
import Core

struct LimitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limit", abstract: "Shows or sets the BTC limit, the most BTC all orders together may buy.",
        subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Shows the limit, the BTC sold, and what is left.")

        func run() throws {
            let (limit, total) = try writeModel().limit()
            print("limit \(limit) BTC, sold \(total) BTC, available \(limit - total) BTC")
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sets the limit; never below the BTC already sold.")

        @Argument(help: "The new limit in BTC, at most 8 decimals, such as 100 or 250.5.")
        var btc: String

        func validate() throws {
            guard let amount = BTCAmount(parsing: btc), amount.satoshis > 0,
                amount.satoshis < 100_000_000 * BTCAmount.satoshisPerBTC
            else {
                throw ValidationError("BTC must be a positive amount below 100000000 with at most 8 decimals, such as 100 or 250.5")
            }
        }

        func run() throws {
            let change = try writeModel().setLimit(BTCAmount(parsing: btc)!)
            print("limit \(change.limitBTC) BTC (was \(change.previousLimitBTC)), sold \(change.totalBTC) BTC")
        }
    }
}
