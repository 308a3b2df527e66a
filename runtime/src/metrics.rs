//! Prometheus metrics of the worker, served by `GET /metrics`; each series is described in
//! `docs/metrics.md`.

use std::sync::OnceLock;

use prometheus::core::Collector;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

/// The worker's metrics.
pub struct Metrics {
    registry: Registry,
    /// Records a source task returned from `poll`.
    pub source_records_polled: IntCounterVec,
    /// Source records Kafka acknowledged.
    pub source_records_written: IntCounterVec,
    /// Records a sink task read from Kafka.
    pub sink_records_read: IntCounterVec,
    /// Records handed to a sink task's `put`.
    pub sink_records_put: IntCounterVec,
    /// Records that failed conversion or transformation, by stage.
    pub records_failed: IntCounterVec,
    /// Records per poll or put batch.
    pub batch_size: HistogramVec,
    /// Time to commit offsets.
    pub offset_commit_seconds: HistogramVec,
    /// Sink consumer lag (records behind the end of the assigned partitions).
    pub sink_consumer_lag: IntGaugeVec,
    /// 1 for each task's current state.
    pub task_state: IntGaugeVec,
    /// Records written to a dead letter queue.
    pub dlq_records: IntCounterVec,
    /// Age of the oldest record of each source batch as it is sent (for the mirror source,
    /// the replication latency).
    pub source_record_age_seconds: HistogramVec,
}

impl Metrics {
    /// The process-wide metrics.
    pub fn global() -> &'static Metrics {
        static METRICS: OnceLock<Metrics> = OnceLock::new();
        METRICS.get_or_init(Metrics::new)
    }

    fn new() -> Self {
        let registry = Registry::new();
        let task = ["connector", "task"];
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("metric definition is valid")
        };
        let histogram = |name: &str, help: &str, buckets: Vec<f64>, labels: &[&str]| {
            HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
                .expect("metric definition is valid")
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            IntGaugeVec::new(Opts::new(name, help), labels).expect("metric definition is valid")
        };
        let metrics = Metrics {
            source_records_polled: counter(
                "tributary_source_records_polled_total",
                "Records returned by source task polls.",
                &task,
            ),
            source_records_written: counter(
                "tributary_source_records_written_total",
                "Source records acknowledged by Kafka.",
                &task,
            ),
            sink_records_read: counter(
                "tributary_sink_records_read_total",
                "Records read from Kafka by sink tasks.",
                &task,
            ),
            sink_records_put: counter(
                "tributary_sink_records_put_total",
                "Records handed to sink task put.",
                &task,
            ),
            records_failed: counter(
                "tributary_records_failed_total",
                "Records that failed conversion or transformation.",
                &["connector", "task", "stage"],
            ),
            batch_size: histogram(
                "tributary_batch_size_records",
                "Records per source poll or sink put.",
                prometheus::exponential_buckets(1.0, 4.0, 10).expect("valid buckets"),
                &["connector", "task"],
            ),
            offset_commit_seconds: histogram(
                "tributary_offset_commit_seconds",
                "Time taken to commit offsets.",
                prometheus::exponential_buckets(0.0005, 4.0, 10).expect("valid buckets"),
                &task,
            ),
            sink_consumer_lag: gauge(
                "tributary_sink_consumer_lag_records",
                "Records behind the end of the sink's partitions.",
                &task,
            ),
            task_state: gauge(
                "tributary_task_state",
                "1 for the task's current state.",
                &["connector", "task", "state"],
            ),
            dlq_records: counter(
                "tributary_dlq_records_total",
                "Records written to the dead letter queue.",
                &task,
            ),
            source_record_age_seconds: histogram(
                "tributary_source_record_age_seconds",
                "Age of the oldest record of each source batch when sent (the mirror source's replication latency).",
                prometheus::exponential_buckets(0.001, 4.0, 12).expect("valid buckets"),
                &task,
            ),
            registry,
        };
        for collector in metrics.collectors() {
            metrics.registry.register(collector).expect("metric registered once");
        }
        metrics
    }

    /// Every series, to register (and to check against the documentation).
    fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.source_records_polled.clone()),
            Box::new(self.source_records_written.clone()),
            Box::new(self.sink_records_read.clone()),
            Box::new(self.sink_records_put.clone()),
            Box::new(self.records_failed.clone()),
            Box::new(self.batch_size.clone()),
            Box::new(self.offset_commit_seconds.clone()),
            Box::new(self.sink_consumer_lag.clone()),
            Box::new(self.task_state.clone()),
            Box::new(self.dlq_records.clone()),
            Box::new(self.source_record_age_seconds.clone()),
        ]
    }

    /// Sets a task's state gauge (1 for `state`, 0 for the others).
    pub fn set_task_state(&self, connector: &str, task: u32, state: &str) {
        let task = task.to_string();
        for candidate in ["UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING"] {
            self.task_state
                .with_label_values(&[connector, &task, candidate])
                .set(i64::from(candidate == state));
        }
    }

    /// Everything in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/metrics.md describes every series the worker serves.
    #[test]
    fn every_series_is_documented() {
        let documentation = include_str!("../../docs/metrics.md");
        for collector in Metrics::global().collectors() {
            for description in collector.desc() {
                let name = format!("`{}`", description.fq_name);
                assert!(
                    documentation.contains(&name),
                    "docs/metrics.md does not describe {name}"
                );
            }
        }
    }
}
