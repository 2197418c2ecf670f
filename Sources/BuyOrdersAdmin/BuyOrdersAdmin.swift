import ArgumentParser
import Core
import Foundation

/// `buyorders-admin`: clients, their API keys and rate limits, and the BTC limit, in the write model
/// (WRITE_DB_URL). Exit status: 0 done, 1 refused (unknown client, duplicate name, a limit below the
/// total...), 2 usage, 3 the database is unreachable.
@main
struct BuyOrdersAdmin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buyorders-admin",
        abstract: "Manages BuyOrders clients, their API keys and rate limits, and the BTC limit.",
        discussion: """
            Acts on the write model named by WRITE_DB_URL. Every change is also written as an event to \
            the outbox, so running services see it within seconds and the activity feed shows it.
            Exit status: 0 done, 1 refused, 2 usage error, 3 database unreachable.
            """,
        subcommands: [ClientCommand.self, KeyCommand.self, LimitCommand.self]
    )

    /// ArgumentParser's own `main`, with usage errors as exit status 2 instead of 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let refusal as AdminRefusal {
            FileHandle.standardError.write(Data("buyorders-admin: \(refusal)\n".utf8))
            Foundation.exit(1)
        } catch let error as PostgresError {
            let code: Int32 = error.code == .connectionFailed || error.code == .connectionLost ? 3 : 1
            FileHandle.standardError.write(Data("buyorders-admin: \(error.message)\n".utf8))
            Foundation.exit(code)
        } catch {
            let status = exitCode(for: error)
            if status == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Opens the write model from WRITE_DB_URL.
func writeModel() throws -> AdminStore {
    let settings: DatabaseSettings
    do {
        settings = try DatabaseSettings.write(EnvironmentReader())
    } catch let error as ConfigurationError {
        throw ValidationError(error.description)
    }
    return AdminStore(connection: try PostgresConnection(settings: settings.forTools))
}
