//! Prometheus metrics of the worker, served by `GET /metrics`; each series is described in
//! `docs/metrics.md`. Connectors add series of their own with [`Metrics::register_counter`]
//! and [`Metrics::register_gauge`].

pub use prometheus::{IntCounterVec, IntGaugeVec};

use std::sync::OnceLock;

use prometheus::core::Collector;
use prometheus::{Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntGauge, Opts, Registry, TextEncoder};

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
    /// Time from the oldest record's timestamp of each source batch to Kafka's
    /// acknowledgement of its last record (the mirror source's replication latency).
    pub source_replication_latency_seconds: HistogramVec,
    /// Records a source task sent to each topic.
    pub source_topic_records: IntCounterVec,
    /// Key and value bytes a source task sent to each topic.
    pub source_topic_bytes: IntCounterVec,
    /// Records a sink task read from each topic.
    pub sink_topic_records: IntCounterVec,
    /// Key and value bytes a sink task read from each topic.
    pub sink_topic_bytes: IntCounterVec,
    /// Failed records that `errors.tolerance=all` let the task skip, by stage.
    pub records_skipped: IntCounterVec,
    /// Retriable errors of a task's `poll` or `put` (the call is retried).
    pub task_retries: IntCounterVec,
    /// Source transactions, by outcome (`committed`, `aborted`).
    pub source_transactions: IntCounterVec,
    /// Connectors running on this worker.
    pub worker_connectors: IntGauge,
    /// Tasks running on this worker.
    pub worker_tasks: IntGauge,
    /// Rebalances this worker went through (distributed mode).
    pub rebalances: IntCounter,
    /// Time from (re)joining the group to receiving the new assignment (distributed mode).
    pub rebalance_seconds: Histogram,
    /// Units done of long work (see [`crate::progress`]).
    pub progress_done: IntGaugeVec,
    /// Units expected of long work (-1 when unknown).
    pub progress_total: IntGaugeVec,
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
        let task_topic = ["connector", "task", "topic"];
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
            source_replication_latency_seconds: histogram(
                "tributary_source_replication_latency_seconds",
                "Time from the oldest record's timestamp of each source batch to the acknowledgement of its last record.",
                prometheus::exponential_buckets(0.001, 4.0, 12).expect("valid buckets"),
                &task,
            ),
            source_topic_records: counter(
                "tributary_source_topic_records_total",
                "Records sent by source tasks, per topic.",
                &task_topic,
            ),
            source_topic_bytes: counter(
                "tributary_source_topic_bytes_total",
                "Key and value bytes sent by source tasks, per topic.",
                &task_topic,
            ),
            sink_topic_records: counter(
                "tributary_sink_topic_records_total",
                "Records read by sink tasks, per topic.",
                &task_topic,
            ),
            sink_topic_bytes: counter(
                "tributary_sink_topic_bytes_total",
                "Key and value bytes read by sink tasks, per topic.",
                &task_topic,
            ),
            records_skipped: counter(
                "tributary_records_skipped_total",
                "Failed records skipped under errors.tolerance=all.",
                &["connector", "task", "stage"],
            ),
            task_retries: counter(
                "tributary_task_retries_total",
                "Retriable errors of task poll or put calls.",
                &task,
            ),
            source_transactions: counter(
                "tributary_source_transactions_total",
                "Source transactions, by outcome.",
                &["connector", "task", "outcome"],
            ),
            worker_connectors: IntGauge::new("tributary_worker_connectors", "Connectors running on this worker.")
                .expect("metric definition is valid"),
            worker_tasks: IntGauge::new("tributary_worker_tasks", "Tasks running on this worker.")
                .expect("metric definition is valid"),
            rebalances: IntCounter::new("tributary_rebalances_total", "Rebalances of this worker's group.")
                .expect("metric definition is valid"),
            rebalance_seconds: Histogram::with_opts(
                HistogramOpts::new(
                    "tributary_rebalance_seconds",
                    "Time from (re)joining the group to receiving the new assignment.",
                )
                .buckets(prometheus::exponential_buckets(0.01, 3.0, 10).expect("valid buckets")),
            )
            .expect("metric definition is valid"),
            progress_done: gauge(
                "tributary_progress_done",
                "Units done of long work (snapshot, bulk load, first copy).",
                &["connector", "task", "work"],
            ),
            progress_total: gauge(
                "tributary_progress_total",
                "Units expected of long work (-1 when unknown).",
                &["connector", "task", "work"],
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
            Box::new(self.source_replication_latency_seconds.clone()),
            Box::new(self.source_topic_records.clone()),
            Box::new(self.source_topic_bytes.clone()),
            Box::new(self.sink_topic_records.clone()),
            Box::new(self.sink_topic_bytes.clone()),
            Box::new(self.records_skipped.clone()),
            Box::new(self.task_retries.clone()),
            Box::new(self.source_transactions.clone()),
            Box::new(self.worker_connectors.clone()),
            Box::new(self.worker_tasks.clone()),
            Box::new(self.rebalances.clone()),
            Box::new(self.rebalance_seconds.clone()),
            Box::new(self.progress_done.clone()),
            Box::new(self.progress_total.clone()),
        ]
    }

    /// A counter of a connector's own (rows written per table, say), served with the worker's
    /// series; its name starts with `tributary_` and docs/metrics.md describes it. Call once
    /// per name (from a `LazyLock`): a second registration is logged and left out of
    /// `/metrics`.
    pub fn register_counter(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        let counter = IntCounterVec::new(Opts::new(name, help), labels).expect("metric definition is valid");
        if let Err(e) = self.registry.register(Box::new(counter.clone())) {
            tracing::warn!("metric {name} is not served: {e}");
        }
        counter
    }

    /// A gauge of a connector's own; see [`Metrics::register_counter`].
    pub fn register_gauge(&self, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        let gauge = IntGaugeVec::new(Opts::new(name, help), labels).expect("metric definition is valid");
        if let Err(e) = self.registry.register(Box::new(gauge.clone())) {
            tracing::warn!("metric {name} is not served: {e}");
        }
        gauge
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
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!("cannot render the metrics: {e}");
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Records and bytes per topic over one batch, added to the per-topic series once per topic
/// rather than once per record.
#[derive(Default)]
pub struct TopicTally {
    topics: Vec<(String, u64, u64)>,
}

impl TopicTally {
    /// Counts one record of `bytes` key and value bytes for `topic`.
    pub fn add(&mut self, topic: &str, bytes: usize) {
        match self.topics.iter_mut().find(|(name, _, _)| name == topic) {
            Some((_, records, total)) => {
                *records += 1;
                *total += bytes as u64;
            }
            None => self.topics.push((topic.to_string(), 1, bytes as u64)),
        }
    }

    /// Records and bytes counted, over every topic.
    pub fn totals(&self) -> (u64, u64) {
        self.topics.iter().fold((0, 0), |(records, bytes), (_, count, total)| {
            (records + count, bytes + total)
        })
    }

    /// The topics counted, each once.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|(topic, _, _)| topic.as_str())
    }

    /// Adds the tally to `records` and `bytes` (series labelled connector, task, topic).
    pub fn report(&self, records: &IntCounterVec, bytes: &IntCounterVec, labels: &[String; 2]) {
        for (topic, count, total) in &self.topics {
            let labels = [labels[0].as_str(), labels[1].as_str(), topic.as_str()];
            records.with_label_values(&labels).inc_by(*count);
            bytes.with_label_values(&labels).inc_by(*total);
        }
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
