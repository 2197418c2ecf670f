import ArgumentParser
import Core
import Foundation

/// `read-model-sync [serve]` projects buy-order events into the read model; `verify`, `rebuild` and
/// `dead-letters list | redrive` are the operator's commands.
@main
struct ReadModelSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-model-sync",
        abstract: "Projects buy-order events from RabbitMQ into the read model; the operator's commands for it.",
        discussion: """
            Settings come from the environment: READ_DB_URL, AMQP_URL, and WRITE_DB_URL for verify and rebuild.
            Exit status of the commands: 0 done, 1 a difference or nothing found, 2 a usage or configuration \
            error, 3 a database or the broker unavailable.
            """,
        subcommands: [Serve.self, Verify.self, Rebuild.self, DeadLetters.self],
        defaultSubcommand: Serve.self
    )

    /// ArgumentParser's `main`, except that a usage error exits 2, like every other command of the cluster.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data("\(fullMessage(for: error))\n".utf8))
            Foundation.exit(2)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs the service: consumes events into the read model, serves /health, /ready and /metrics.")

    func run() async {
        await ServiceMain.run(
            service: "read-model-sync",
            settings: { try ReadModelSyncSettings(environment: $0) },
            server: \.server,
            build: { settings, logger, metrics in
                try await buildReadModelSync(settings: settings, logger: logger, metrics: metrics)
            }
        )
    }
}
