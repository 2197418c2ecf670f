import Core

/// `fetch-buy-orders`: serves paged buy orders from the read model.
@main
struct FetchBuyOrders {
    static func main() async {
        await ServiceMain.run(
            service: "fetch-buy-orders",
            settings: { try FetchBuyOrdersSettings(environment: $0) },
            server: \.server,
            build: { settings, logger, metrics in
                try await buildFetchBuyOrders(settings: settings, logger: logger, metrics: metrics)
            }
        )
    }
}
