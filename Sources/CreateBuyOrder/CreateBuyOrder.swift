import Core

/// `create-buy-order`: accepts buy orders into the write model.
@main
struct CreateBuyOrder {
    static func main() async {
        await ServiceMain.run(
            service: "create-buy-order",
            settings: { try CreateBuyOrderSettings(environment: $0) },
            server: \.server,
            build: { settings, logger, metrics in
                try await buildCreateBuyOrder(settings: settings, logger: logger, metrics: metrics)
            }
        )
    }
}
