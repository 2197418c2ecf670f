import Core
import Foundation

/// `read-model-sync`: projects buy-order events into the read model.
/// `read-model-sync rebuild` and `read-model-sync verify` are the operator's admin commands.
@main
struct ReadModelSync {
    static func main() async {
        switch CommandLine.arguments.dropFirst().first {
        case nil, "serve":
            await ServiceMain.run(
                service: "read-model-sync",
                settings: { try ReadModelSyncSettings(environment: $0) },
                server: \.server,
                build: { settings, logger, metrics in
                    try await buildReadModelSync(settings: settings, logger: logger, metrics: metrics)
                }
            )
        case "verify", "rebuild":
            exit(AdminCommand.run(CommandLine.arguments[1]))
        case let other?:
            FileHandle.standardError.write(Data("read-model-sync: unknown command \(other); use serve, rebuild or verify\n".utf8))
            exit(2)
        }
    }
}
