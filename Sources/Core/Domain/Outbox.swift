/// The write model's outbox, as every writer of events sees it.
public enum Outbox {
    /// The NOTIFY channel a commit with new outbox rows signals: it wakes the relay of every instance.
    public static let channel = "buy_order_outbox"
}
