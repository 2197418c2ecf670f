import Hummingbird
import Logging
import Prometheus

extension Router where Context == BasicRequestContext {
    /// A router with what every service shares: problem bodies for every error, request metrics,
    /// a debug log line per request, and `/health`, `/ready`, `/metrics`.
    public static func service(checks: [ReadinessCheck], metrics: PrometheusCollectorRegistry) -> Router {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(factory: PrometheusMetricsFactory(registry: metrics)))
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ProblemMiddleware())
        router.addOperationalRoutes(checks: checks, metrics: metrics)
        return router
    }
}
