import Metrics

/// What the projection counts, in the registry of `/metrics`.
struct ProjectionMetrics {
    let consumed: Counter
    let applied: Counter
    let duplicates: Counter
    let deadLettered: Counter
    let deadLetterFailures: Counter
    let recovered: Counter
    let holds: Counter
    let held: Gauge
    let parked: Gauge
    let lag: Metrics.Timer

    init(_ factory: any MetricsFactory) {
        consumed = Counter(label: "events_consumed_total", factory: factory)
        applied = Counter(label: "events_applied_total", factory: factory)
        duplicates = Counter(label: "events_duplicate_total", factory: factory)
        deadLettered = Counter(label: "events_dead_lettered_total", factory: factory)
        deadLetterFailures = Counter(label: "dead_letter_publish_failures_total", factory: factory)
        recovered = Counter(label: "events_recovered_total", factory: factory)
        holds = Counter(label: "projection_holds_total", factory: factory)
        held = Gauge(label: "projection_held_events", factory: factory)
        parked = Gauge(label: "dead_letters_parked", factory: factory)
        lag = Metrics.Timer(label: "projection_lag_seconds", factory: factory)
    }
}
