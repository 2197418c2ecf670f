import Metrics

/// What the relay counts, in the registry of `/metrics`.
struct OutboxMetrics {
    let published: Counter
    let publishFailures: Counter
    let parked: Counter
    let backlog: Gauge
    let oldestAge: Gauge
    let parkedRows: Gauge

    init(_ factory: any MetricsFactory) {
        published = Counter(label: "outbox_published_total", factory: factory)
        publishFailures = Counter(label: "outbox_publish_failures_total", factory: factory)
        parked = Counter(label: "outbox_parked_total", factory: factory)
        backlog = Gauge(label: "outbox_backlog", factory: factory)
        oldestAge = Gauge(label: "outbox_oldest_age_seconds", factory: factory)
        parkedRows = Gauge(label: "outbox_parked", factory: factory)
    }
}
