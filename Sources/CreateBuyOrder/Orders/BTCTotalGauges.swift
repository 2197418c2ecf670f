import Core
import Metrics

/// The BTC total and its limit (the `btc_total` row) as gauges, in satoshis: whole numbers, which
/// /metrics shows exactly. Read without a lock: a plain read of the row does not wait for the batch
/// holding it, and it sees the limit `buyorders-admin limit set` wrote as well as other instances' orders.
struct BTCTotalGauges {
    let total: Gauge
    let limit: Gauge

    init(_ factory: any MetricsFactory) {
        total = Gauge(label: "btc_total_satoshis", factory: factory)
        limit = Gauge(label: "btc_limit_satoshis", factory: factory)
    }

    func record(from database: PostgresConnection) throws {
        let row = try database.query(prepared: "SELECT total::text, limit_btc::text FROM btc_total").first
        guard let total = row?["total"].flatMap(BTCAmount.init(parsing:)),
            let limit = row?["limit_btc"].flatMap(BTCAmount.init(parsing:))
        else { throw PostgresError(code: .other, message: "btc_total has no readable row") }
        self.total.record(Int64(clamping: total.satoshis))
        self.limit.record(Int64(clamping: limit.satoshis))
    }
}
