import CoreMetrics
import Prometheus

/// The process's Prometheus registry, made swift-metrics' backend the first time anything asks for it.
///
/// swift-metrics takes one backend per process (`MetricsSystem.bootstrap` may run only once), so `onboard serve`,
/// `onboard batch --serve` and the tests all go through this one lazily initialised registry. From then on every
/// counter the engine records through ``OnboardCore/OnboardMetrics`` lands here, and `/metrics` prints it.
public enum PrometheusBackend {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Request latencies run from a few milliseconds (the simulator) to the 30 s request timeout.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Bootstraps the backend now (before the first request is counted); idempotent.
    public static func bootstrap() { _ = registry }
}
