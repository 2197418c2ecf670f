import Core

/// `btc-price`: serves cached BTC quotes from the Coinbase prices API.
@main
struct BTCPrice {
    static func main() async {
        await ServiceMain.run(
            service: "btc-price",
            settings: { try BTCPriceSettings(environment: $0) },
            server: \.server,
            build: { settings, logger, metrics in
                try await buildBTCPrice(settings: settings, logger: logger, metrics: metrics)
            }
        )
    }
}
