//! What `serve --metrics-addr` exposes (Prometheus, OpenMetrics text): requests by route and
//! status, identify outcomes, open event streams, the write queue's depth and commit latency.
//! One set per process: the layers that observe something record it here.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A request, by its route pattern (never the raw path: ids would make endless series).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// GET, POST, ...
    pub method: String,
    /// The matched route, e.g. `/api/v1/widget/messages`, or `unmatched`.
    pub route: String,
    /// The answer's status code.
    pub status: String,
}

/// An identify outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IdentifyLabels {
    /// verified, unverified, rejected, disabled, plan_upgrade_required, invalid.
    pub result: String,
}

/// Every metric of the process.
pub struct Metrics {
    /// HTTP requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// identify() calls by result.
    pub identify: Family<IdentifyLabels, Counter>,
    /// Event streams open now (widget and dashboard).
    pub open_streams: Gauge,
    /// Write jobs waiting for the database writer.
    pub write_queue: Gauge,
    /// How long a group commit took, in seconds.
    pub commit_seconds: Histogram,
    /// How many write jobs one group commit carried.
    pub commit_jobs: Histogram,
    registry: Registry,
}

impl Metrics {
    fn new() -> Metrics {
        let requests = Family::<RequestLabels, Counter>::default();
        let identify = Family::<IdentifyLabels, Counter>::default();
        let open_streams = Gauge::default();
        let write_queue = Gauge::default();
        let commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let commit_jobs = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        let mut registry = Registry::with_prefix("replybubble");
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register("identify", "identify() calls, by result", identify.clone());
        registry.register(
            "open_streams",
            "event streams open now",
            open_streams.clone(),
        );
        registry.register(
            "write_queue_depth",
            "write jobs waiting for the database writer",
            write_queue.clone(),
        );
        registry.register(
            "commit_seconds",
            "time one group commit of the database writer took",
            commit_seconds.clone(),
        );
        registry.register(
            "commit_jobs",
            "write jobs (requests' writes) carried by one group commit",
            commit_jobs.clone(),
        );
        Metrics {
            requests,
            identify,
            open_streams,
            write_queue,
            commit_seconds,
            commit_jobs,
            registry,
        }
    }

    /// The text a scrape gets.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// Counts an open stream while it lives.
pub struct StreamGauge;

impl StreamGauge {
    /// One more open stream (one fewer when dropped).
    pub fn open() -> StreamGauge {
        METRICS.open_streams.inc();
        StreamGauge
    }
}

impl Drop for StreamGauge {
    fn drop(&mut self) {
        METRICS.open_streams.dec();
    }
}
