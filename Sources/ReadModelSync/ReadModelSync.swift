import Core

/// `read-model-sync`: projects buy-order events into the read model.
@main
struct ReadModelSync {
    static func main() async {
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
