import ArgumentParser
import Foundation

/// `buyorders`: the command-line client of the BuyOrders HTTP API.
@main
struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buyorders",
        abstract: "Buys bitcoin and follows your orders through the BuyOrders HTTP API.",
        discussion: """
            Each subcommand is one task of a client of BuyOrders: buy at the market price or at a quoted \
            rate, list and export your orders, follow them live, read your activity and the current price. \
            Amounts and rates are the API's exact decimal strings, never rounded for display.

            EXAMPLES
              export BUYORDERS_API_KEY=$(cat .run/api-key)
              buyorders price EUR
              buyorders buy USD 123.45
              buyorders buy EUR 50 --quote
              buyorders orders --currency USD --from 2026-12-01T00:00:00Z
              buyorders watch
              buyorders export orders.csv

            \(Help.environment)

            \(Help.exitStatus)
            """,
        subcommands: [
            BuyCommand.self, OrdersCommand.self, OrderCommand.self, WatchCommand.self, ActivityCommand.self,
            PriceCommand.self, ExportCommand.self,
        ]
    )

    /// ArgumentParser's own `main`, with this tool's exit statuses: usage errors are 2 (not 64), and a
    /// `CLIFailure` is its message on stderr and its status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as CLIFailure {
            Output.note(failure.description)
            Foundation.exit(failure.exitStatus)
        } catch {
            let status = exitCode(for: error)
            if status == .success { exit(withError: error) }
            Output.write(fullMessage(for: error) + "\n", to: STDERR_FILENO)
            Foundation.exit(2)
        }
    }
}

/// Text shared by every command's help; lines kept under 80 columns, since ArgumentParser wraps
/// longer ones without their indentation.
enum Help {
    static let environment = """
        ENVIRONMENT
          BUYORDERS_API_KEY     your client's API key, bo_<key id>_<secret>; every
                                command but price needs it; never printed
          BUYORDERS_CREATE_URL  create-buy-order, for buy
                                (default \(CLISettings.defaultCreateURL))
          BUYORDERS_FETCH_URL   fetch-buy-orders, for orders, order, watch, activity
                                and export (default \(CLISettings.defaultFetchURL))
          BUYORDERS_PRICE_URL   btc-price, for price
                                (default \(CLISettings.defaultPriceURL))
        """

    static let exitStatus = """
        EXIT STATUS
          0  done
          1  refused: the API answered 4xx (its problem's title, detail and field
             errors are printed on stderr), or the command could not finish here
          2  usage: a bad argument, option or environment variable
          3  unavailable: no answer, a dropped connection, or a 5xx
        """
}
