/// The NOTIFY channel of the read database on which read-model-sync announces, in each transaction
/// that projects new orders, that it did (delivered at commit); fetch-buy-orders LISTENs to it to
/// push new orders to its streams.
public enum ReadModelSignal {
    public static let ordersProjected = "buy_orders_projected"
}
