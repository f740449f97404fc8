//! Prometheus metrics (`prometheus-client`, OpenMetrics text): one registry per instance, made with
//! its settings so the web side and the workers built from them report into the same one (tests
//! run many apps in one process, which a global recorder would mix up).
//!
//! Labels are bounded and carry nothing personal: routes by their pattern (`/sales/{id}`, never
//! the path), Gumroad endpoints by pattern (`products/{id}`), job kinds, fixed outcome words.
//! Never a creator id, a sale id, a name or an email.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The route label of a request that matched no route (so random paths add no label values).
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GumroadLabels {
    method: &'static str,
    endpoint: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_buckets() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

fn long_buckets() -> Histogram {
    Histogram::new([
        0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
    ])
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histograms<RouteLabels>,
    gumroad_calls: Family<GumroadLabels, Counter>,
    gumroad_seconds: Histograms<GumroadLabels>,
    jobs: Family<JobLabels, Counter>,
    job_seconds: Histograms<JobLabels>,
    pings: Family<OutcomeLabels, Counter>,
    sync_lag: Gauge<f64, AtomicU64>,
    gumroad_total: AtomicU64,
    gumroad_failed: AtomicU64,
}

/// This instance's Gumroad calls since it started, for the operator's health page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GumroadCounts {
    pub calls: u64,
    /// Calls that ended in any error (Gumroad's refusals of bad input included).
    pub failed: u64,
}

impl GumroadCounts {
    /// The share of failed calls in whole percent (0 without calls).
    pub fn failed_percent(&self) -> u64 {
        (self.failed * 100).checked_div(self.calls).unwrap_or(0)
    }
}

/// The instance's metrics; cheap to clone (one shared registry).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET`, `POST`, …; anything unusual is `other`, so a client cannot invent label values.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("gumdash");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern and status",
            requests.clone(),
        );
        let request_seconds: Histograms<RouteLabels> =
            Family::new_with_constructor(request_buckets);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route pattern",
            request_seconds.clone(),
        );
        let gumroad_calls = Family::<GumroadLabels, Counter>::default();
        registry.register(
            "gumroad_calls",
            "Gumroad API calls (retries included in one call), by endpoint pattern and outcome",
            gumroad_calls.clone(),
        );
        let gumroad_seconds: Histograms<GumroadLabels> = Family::new_with_constructor(long_buckets);
        registry.register(
            "gumroad_call_duration_seconds",
            "Time of Gumroad API calls, retries included",
            gumroad_seconds.clone(),
        );
        let jobs = Family::<JobLabels, Counter>::default();
        registry.register(
            "jobs",
            "Background job runs, by kind and outcome",
            jobs.clone(),
        );
        let job_seconds: Histograms<JobLabels> = Family::new_with_constructor(long_buckets);
        registry.register(
            "job_duration_seconds",
            "Time of background job runs, by kind and outcome",
            job_seconds.clone(),
        );
        let pings = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ping_deliveries",
            "Gumroad pings received, by outcome",
            pings.clone(),
        );
        let sync_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "sync_lag_seconds",
            "Seconds since the active creator synced least recently last synced successfully (read at scrape time)",
            sync_lag.clone(),
        );
        Self(Arc::new(Inner {
            registry,
            requests,
            request_seconds,
            gumroad_calls,
            gumroad_seconds,
            jobs,
            job_seconds,
            pings,
            sync_lag,
            gumroad_total: AtomicU64::new(0),
            gumroad_failed: AtomicU64::new(0),
        }))
    }

    /// One answered request; `route` is the matched pattern or [`UNMATCHED`].
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        self.0
            .requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status: status.to_string(),
            })
            .inc();
        self.0
            .request_seconds
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// One Gumroad API call; `endpoint` is a pattern such as `products/{id}`.
    pub fn gumroad_call(
        &self,
        method: &str,
        endpoint: String,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        let labels = GumroadLabels {
            method: method_label(method),
            endpoint,
            outcome,
        };
        self.0.gumroad_total.fetch_add(1, Ordering::Relaxed);
        if labels.outcome != "ok" {
            self.0.gumroad_failed.fetch_add(1, Ordering::Relaxed);
        }
        self.0.gumroad_calls.get_or_create(&labels).inc();
        self.0
            .gumroad_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn job(&self, kind: &'static str, outcome: &'static str, elapsed: Duration) {
        let labels = JobLabels { kind, outcome };
        self.0.jobs.get_or_create(&labels).inc();
        self.0
            .job_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn gumroad_counts(&self) -> GumroadCounts {
        GumroadCounts {
            calls: self.0.gumroad_total.load(Ordering::Relaxed),
            failed: self.0.gumroad_failed.load(Ordering::Relaxed),
        }
    }

    pub fn ping(&self, outcome: &'static str) {
        self.0.pings.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn set_sync_lag(&self, seconds: f64) {
        self.0.sync_lag.set(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(error) = encode(&mut text, &self.0.registry) {
            tracing::error!(%error, "could not encode the metrics");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_pattern_and_unusual_methods_fold_into_other() {
        let metrics = Metrics::new();
        metrics.request("GET", "/sales/{id}", 200, Duration::from_millis(3));
        metrics.request("GET", "/sales/{id}", 200, Duration::from_millis(3));
        metrics.request("BREW", UNMATCHED, 404, Duration::from_millis(1));
        let text = metrics.encode();
        assert!(
            text.contains(
                r#"gumdash_http_requests_total{method="GET",route="/sales/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"method="other",route="unmatched""#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
