/// The OpenAPI document of each HTTP service, the YAML files beside this one, embedded in the binaries
/// when they are built (SwiftPM `embedInCode`), so a service serves its own contract from any image.
public enum OpenAPIDocuments {
    public static let createBuyOrder = PackageResources.create_buy_order_yaml
    public static let fetchBuyOrders = PackageResources.fetch_buy_orders_yaml
    public static let btcPrice = PackageResources.btc_price_yaml
    public static let readModelSync = PackageResources.read_model_sync_yaml
}
