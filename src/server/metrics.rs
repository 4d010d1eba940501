//! Counters for `/metrics` (Prometheus text format), served only with
//! `serve --metrics` so that hook names do not leak to anyone who can reach
//! the webhook port.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// What holds the server's resources now (the bounds of docs/server.md).
#[derive(Debug, Clone, Copy, Default)]
pub struct InFlight {
    pub connections: usize,
    pub body_bytes: u64,
}

#[derive(Default)]
pub struct Metrics {
    /// (hook name, or "" for an unknown token; HTTP status) → requests.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// Hook name → deliveries answered as duplicates, not queued again.
    duplicates: Mutex<BTreeMap<String, u64>>,
    pub batch_size: Histogram<9>,
    pub ingest_seconds: Histogram<12>,
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            requests: Mutex::default(),
            duplicates: Mutex::default(),
            batch_size: Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
            ingest_seconds: Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
        }
    }

    pub fn request(&self, hook: &str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((hook.to_owned(), status)).or_default() += 1;
    }

    pub fn duplicate(&self, hook: &str) {
        let mut duplicates = self.duplicates.lock().unwrap_or_else(|e| e.into_inner());
        *duplicates.entry(hook.to_owned()).or_default() += 1;
    }

    /// The Prometheus text exposition, with the queue depth of each hook and
    /// what the clients hold.
    pub fn render(&self, queues: &[(String, u64)], in_flight: InFlight) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP hookq_requests_total HTTP requests to webhook URLs, by hook and status.\n",
        );
        out.push_str("# TYPE hookq_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((hook, status), n) in requests.iter() {
            let _ = writeln!(
                out,
                "hookq_requests_total{{hook=\"{}\",status=\"{status}\"}} {n}",
                escape(hook)
            );
        }
        drop(requests);
        out.push_str(
            "# HELP hookq_duplicates_total Deliveries answered 200 as already accepted, not queued again.\n",
        );
        out.push_str("# TYPE hookq_duplicates_total counter\n");
        let duplicates = self.duplicates.lock().unwrap_or_else(|e| e.into_inner());
        for (hook, n) in duplicates.iter() {
            let _ = writeln!(
                out,
                "hookq_duplicates_total{{hook=\"{}\"}} {n}",
                escape(hook)
            );
        }
        drop(duplicates);
        out.push_str("# HELP hookq_queue_depth Events waiting in each hook's queue.\n");
        out.push_str("# TYPE hookq_queue_depth gauge\n");
        for (hook, depth) in queues {
            let _ = writeln!(
                out,
                "hookq_queue_depth{{hook=\"{}\"}} {depth}",
                escape(hook)
            );
        }
        let _ = writeln!(
            out,
            "# HELP hookq_open_connections Client connections open (one thread each).\n\
             # TYPE hookq_open_connections gauge\n\
             hookq_open_connections {}\n\
             # HELP hookq_body_bytes_in_flight Body bytes reserved by requests being received.\n\
             # TYPE hookq_body_bytes_in_flight gauge\n\
             hookq_body_bytes_in_flight {}",
            in_flight.connections, in_flight.body_bytes
        );
        self.batch_size.render(
            &mut out,
            "hookq_commit_batch_size",
            "Events committed per transaction (group commit).",
        );
        self.ingest_seconds.render(
            &mut out,
            "hookq_ingest_seconds",
            "Time from a webhook request's arrival to its answer.",
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A fixed-bucket histogram, lock-free.
pub struct Histogram<const N: usize> {
    bounds: [f64; N],
    counts: [AtomicU64; N],
    count: AtomicU64,
    /// Sum in millionths, to stay an integer.
    sum_micros: AtomicU64,
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Self::new([f64::INFINITY; N])
    }
}

impl<const N: usize> Histogram<N> {
    pub fn new(bounds: [f64; N]) -> Self {
        Histogram {
            bounds,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| value <= b) {
            self.counts[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros.fetch_add((value * 1e6) as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_cumulative_buckets() {
        let metrics = Metrics::new();
        metrics.request("gh", 200);
        metrics.request("gh", 200);
        metrics.request("", 404);
        metrics.batch_size.observe(3.0);
        metrics.batch_size.observe(1.0);
        let in_flight = InFlight {
            connections: 9,
            body_bytes: 2048,
        };
        let text = metrics.render(&[("gh".into(), 7)], in_flight);
        assert!(
            text.contains("hookq_requests_total{hook=\"gh\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("hookq_requests_total{hook=\"\",status=\"404\"} 1\n"));
        assert!(text.contains("hookq_queue_depth{hook=\"gh\"} 7\n"));
        assert!(text.contains("hookq_open_connections 9\n"), "{text}");
        assert!(text.contains("hookq_body_bytes_in_flight 2048\n"), "{text}");
        assert!(text.contains("hookq_commit_batch_size_bucket{le=\"1\"} 1\n"));
        assert!(text.contains("hookq_commit_batch_size_bucket{le=\"4\"} 2\n"));
        assert!(text.contains("hookq_commit_batch_size_count 2\n"));
    }
}
