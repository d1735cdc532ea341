//! The counters behind the admin server's `/metrics`: PostgREST's `pgrst_*` metrics plus requests and latency by status, in Prometheus's text format.
//!
//! Hand-written rather than `metrics` + `metrics-exporter-prometheus`: the `metrics` macros record into one
//! process-wide recorder, while restgres keeps every piece of state in its `AppState` (the test suite runs
//! many servers in one process, each with its own counts); the exporter without its default features
//! still brings `metrics-util` (crossbeam, quanta, a sketch crate, hashbrown, indexmap) for what is here a
//! handful of atomics, two small maps and one fixed-bucket histogram.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Upper bounds in seconds of the request-duration buckets (Prometheus's default buckets); `+Inf` follows.
pub const DURATION_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What the server counts itself; one per `AppState`.
#[derive(Debug, Default)]
pub struct Metrics {
    schema_loads_ok: AtomicU64,
    schema_loads_failed: AtomicU64,
    /// `f64::to_bits` of the last successful load's duration in seconds (0 before the first).
    schema_query_seconds: AtomicU64,
    requests: Mutex<Requests>,
}

#[derive(Debug, Default)]
struct Requests {
    /// By (method, status).
    counts: BTreeMap<(&'static str, u16), u64>,
    /// By status.
    durations: BTreeMap<u16, Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Observations per bucket, not cumulative: index i counts those in (bound i-1, bound i], the last
    /// index those above every bound.
    buckets: [u64; DURATION_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

/// Values sampled from the pool and the JWT cache when `/metrics` is asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sampled {
    pub pool_available: u64,
    pub pool_waiting: u64,
    pub pool_max: u64,
    pub pool_timeouts: u64,
    pub jwt_requests: u64,
    pub jwt_hits: u64,
    pub jwt_evictions: u64,
}

impl Metrics {
    /// Counts one schema-cache load by its outcome (and keeps its duration when it succeeded), passing the
    /// result through so that a caller can wrap its `reload_schema()` call.
    pub fn schema_load<E>(&self, result: Result<(usize, Duration), E>) -> Result<(usize, Duration), E> {
        match &result {
            Ok((_, took)) => {
                self.schema_query_seconds
                    .store(took.as_secs_f64().to_bits(), Ordering::Relaxed);
                self.schema_loads_ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.schema_loads_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    /// Schema-cache loads so far: (succeeded, failed).
    pub fn schema_loads(&self) -> (u64, u64) {
        (
            self.schema_loads_ok.load(Ordering::Relaxed),
            self.schema_loads_failed.load(Ordering::Relaxed),
        )
    }

    /// Counts one answered API request.
    pub fn request(&self, method: &http::Method, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        let mut requests = self.lock();
        *requests.counts.entry((method_label(method), status)).or_default() += 1;
        let histogram = requests.durations.entry(status).or_default();
        if let Some(n) = histogram.buckets.get_mut(bucket) {
            *n += 1;
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Every metric in Prometheus's text exposition format (version 0.0.4).
    pub fn render(&self, sampled: &Sampled) -> String {
        let mut out = String::new();
        let ok = self.schema_loads_ok.load(Ordering::Relaxed);
        let failed = self.schema_loads_failed.load(Ordering::Relaxed);
        let query_time = f64::from_bits(self.schema_query_seconds.load(Ordering::Relaxed));
        // PostgREST's names, types and help texts (its observability reference).
        header(
            &mut out,
            "pgrst_schema_cache_query_time_seconds",
            "gauge",
            "The query time in seconds of the last schema cache load",
        );
        let _ = writeln!(out, "pgrst_schema_cache_query_time_seconds {query_time}");
        header(
            &mut out,
            "pgrst_schema_cache_loads_total",
            "counter",
            "The total number of times the schema cache was loaded",
        );
        let _ = writeln!(out, "pgrst_schema_cache_loads_total{{status=\"FAIL\"}} {failed}");
        let _ = writeln!(out, "pgrst_schema_cache_loads_total{{status=\"SUCCESS\"}} {ok}");
        let simple: [(&str, &str, &str, u64); 7] = [
            (
                "pgrst_db_pool_timeouts_total",
                "counter",
                "The total number of pool connection timeouts",
                sampled.pool_timeouts,
            ),
            (
                "pgrst_db_pool_available",
                "gauge",
                "Available connections in the pool",
                sampled.pool_available,
            ),
            (
                "pgrst_db_pool_waiting",
                "gauge",
                "Requests waiting to acquire a pool connection",
                sampled.pool_waiting,
            ),
            (
                "pgrst_db_pool_max",
                "gauge",
                "Max pool connections",
                sampled.pool_max,
            ),
            (
                "pgrst_jwt_cache_requests_total",
                "counter",
                "The total number of JWT cache lookups",
                sampled.jwt_requests,
            ),
            (
                "pgrst_jwt_cache_hits_total",
                "counter",
                "The total number of JWT cache hits",
                sampled.jwt_hits,
            ),
            (
                "pgrst_jwt_cache_evictions_total",
                "counter",
                "The total number of JWT cache evictions",
                sampled.jwt_evictions,
            ),
        ];
        for (name, kind, help, value) in simple {
            header(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }

        let requests = self.lock();
        header(
            &mut out,
            "restgres_http_requests_total",
            "counter",
            "API requests answered, by method and status",
        );
        for ((method, status), n) in &requests.counts {
            let _ = writeln!(
                out,
                "restgres_http_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        header(
            &mut out,
            "restgres_http_request_duration_seconds",
            "histogram",
            "Time from receiving an API request to its response head, by status",
        );
        for (status, h) in &requests.durations {
            let mut cumulative = 0;
            for (i, n) in h.buckets.iter().enumerate() {
                cumulative += n;
                let le = DURATION_BUCKETS
                    .get(i)
                    .map_or_else(|| "+Inf".to_string(), f64::to_string);
                let _ = writeln!(
                    out,
                    "restgres_http_request_duration_seconds_bucket{{status=\"{status}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "restgres_http_request_duration_seconds_sum{{status=\"{status}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "restgres_http_request_duration_seconds_count{{status=\"{status}\"}} {}",
                h.count
            );
        }
        out
    }

    /// The request maps, also after a panic elsewhere poisoned the lock: every update leaves them consistent.
    fn lock(&self) -> MutexGuard<'_, Requests> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The method as a label; extension methods share one label so that clients cannot grow the series.
fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::TRACE => "TRACE",
        http::Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The rendered lines that start with `prefix`.
    fn lines<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn empty_metrics_render_every_pgrst_metric() {
        let text = Metrics::default().render(&Sampled {
            pool_max: 10,
            ..Sampled::default()
        });
        let expected_start = "\
# HELP pgrst_schema_cache_query_time_seconds The query time in seconds of the last schema cache load
# TYPE pgrst_schema_cache_query_time_seconds gauge
pgrst_schema_cache_query_time_seconds 0
# HELP pgrst_schema_cache_loads_total The total number of times the schema cache was loaded
# TYPE pgrst_schema_cache_loads_total counter
pgrst_schema_cache_loads_total{status=\"FAIL\"} 0
pgrst_schema_cache_loads_total{status=\"SUCCESS\"} 0
# HELP pgrst_db_pool_timeouts_total The total number of pool connection timeouts
# TYPE pgrst_db_pool_timeouts_total counter
pgrst_db_pool_timeouts_total 0
# HELP pgrst_db_pool_available Available connections in the pool
# TYPE pgrst_db_pool_available gauge
pgrst_db_pool_available 0
# HELP pgrst_db_pool_waiting Requests waiting to acquire a pool connection
# TYPE pgrst_db_pool_waiting gauge
pgrst_db_pool_waiting 0
# HELP pgrst_db_pool_max Max pool connections
# TYPE pgrst_db_pool_max gauge
pgrst_db_pool_max 10
";
        assert!(text.starts_with(expected_start), "{text}");
        for name in [
            "pgrst_jwt_cache_requests_total",
            "pgrst_jwt_cache_hits_total",
            "pgrst_jwt_cache_evictions_total",
        ] {
            assert_eq!(lines(&text, &format!("{name} ")), vec![format!("{name} 0")]);
            assert_eq!(
                lines(&text, &format!("# TYPE {name} ")),
                vec![format!("# TYPE {name} counter")]
            );
        }
        // No request yet: the families are declared, with no series.
        assert!(text.contains("# TYPE restgres_http_requests_total counter\n"));
        assert!(text.contains("# TYPE restgres_http_request_duration_seconds histogram\n"));
        assert!(lines(&text, "restgres_").is_empty(), "{text}");
    }

    #[test]
    fn sampled_values_are_rendered() {
        let text = Metrics::default().render(&Sampled {
            pool_available: 3,
            pool_waiting: 2,
            pool_max: 7,
            pool_timeouts: 5,
            jwt_requests: 11,
            jwt_hits: 6,
            jwt_evictions: 1,
        });
        for line in [
            "pgrst_db_pool_available 3",
            "pgrst_db_pool_waiting 2",
            "pgrst_db_pool_max 7",
            "pgrst_db_pool_timeouts_total 5",
            "pgrst_jwt_cache_requests_total 11",
            "pgrst_jwt_cache_hits_total 6",
            "pgrst_jwt_cache_evictions_total 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn schema_loads_count_by_outcome_and_keep_the_last_duration() {
        let m = Metrics::default();
        assert_eq!(m.schema_load::<()>(Ok((3, ms(250)))), Ok((3, ms(250))));
        assert_eq!(m.schema_load::<&str>(Err("down")), Err("down"));
        assert_eq!(m.schema_load::<&str>(Err("down")), Err("down"));
        assert!(m.schema_load::<()>(Ok((3, ms(1500)))).is_ok());
        let text = m.render(&Sampled::default());
        assert_eq!(
            lines(&text, "pgrst_schema_cache_loads_total{"),
            vec![
                "pgrst_schema_cache_loads_total{status=\"FAIL\"} 2",
                "pgrst_schema_cache_loads_total{status=\"SUCCESS\"} 2",
            ]
        );
        // A failed load leaves the last successful duration.
        assert_eq!(
            lines(&text, "pgrst_schema_cache_query_time_seconds "),
            vec!["pgrst_schema_cache_query_time_seconds 1.5"]
        );
    }

    #[test]
    fn requests_count_by_method_and_status() {
        let m = Metrics::default();
        m.request(&http::Method::GET, 200, ms(1));
        m.request(&http::Method::GET, 200, ms(2));
        m.request(&http::Method::POST, 201, ms(2));
        m.request(&http::Method::GET, 404, ms(1));
        m.request(&http::Method::from_bytes(b"PROPFIND").unwrap(), 405, ms(1));
        let text = m.render(&Sampled::default());
        assert_eq!(
            lines(&text, "restgres_http_requests_total{"),
            vec![
                "restgres_http_requests_total{method=\"GET\",status=\"200\"} 2",
                "restgres_http_requests_total{method=\"GET\",status=\"404\"} 1",
                "restgres_http_requests_total{method=\"OTHER\",status=\"405\"} 1",
                "restgres_http_requests_total{method=\"POST\",status=\"201\"} 1",
            ]
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        // 1 ms, exactly 5 ms (a bucket's bound is inclusive), 30 ms, 2 s and 60 s.
        for took in [ms(1), ms(5), ms(30), ms(2000), ms(60_000)] {
            m.request(&http::Method::GET, 200, took);
        }
        m.request(&http::Method::GET, 500, ms(7));
        let text = m.render(&Sampled::default());
        assert_eq!(
            lines(
                &text,
                "restgres_http_request_duration_seconds_bucket{status=\"200\""
            ),
            vec![
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.005\"} 2",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.01\"} 2",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.025\"} 2",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.05\"} 3",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.1\"} 3",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.25\"} 3",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"0.5\"} 3",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"1\"} 3",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"2.5\"} 4",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"5\"} 4",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"10\"} 4",
                "restgres_http_request_duration_seconds_bucket{status=\"200\",le=\"+Inf\"} 5",
            ]
        );
        assert_eq!(
            lines(&text, "restgres_http_request_duration_seconds_count{"),
            vec![
                "restgres_http_request_duration_seconds_count{status=\"200\"} 5",
                "restgres_http_request_duration_seconds_count{status=\"500\"} 1",
            ]
        );
        assert_eq!(
            lines(
                &text,
                "restgres_http_request_duration_seconds_sum{status=\"500\"}"
            ),
            vec!["restgres_http_request_duration_seconds_sum{status=\"500\"} 0.007"]
        );
        let sum_200: f64 = lines(
            &text,
            "restgres_http_request_duration_seconds_sum{status=\"200\"}",
        )
        .first()
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
        assert!((sum_200 - 62.036).abs() < 1e-9, "{sum_200}");
    }

    #[test]
    fn every_sample_line_has_a_declared_family() {
        let m = Metrics::default();
        m.request(&http::Method::DELETE, 204, ms(3));
        let text = m.render(&Sampled::default());
        let declared: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| declared.contains(f)))
                .unwrap_or(name);
            assert!(declared.contains(&family), "{line} has no # TYPE");
        }
    }
}
