//! Progress of long work a connector does (a CDC snapshot, a table load, a mirror's first
//! copy): logged at a steady interval with what is done, the rate and, when the total is known,
//! the share done and the time left; and exported as the `tributary_progress_done` and
//! `tributary_progress_total` gauges, labelled by connector, task and the work's name.
//!
//! Work shorter than [`LOG_INTERVAL`] (a table query that returns a few rows every poll) logs
//! its start and end at debug level only; long work logs at info.

use std::time::{Duration, Instant};

use prometheus::IntGauge;

use crate::metrics::Metrics;

/// How often progress is logged.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// One piece of long work being done.
pub struct Progress {
    connector: String,
    task: u32,
    work: String,
    /// What the unit counted is (`rows`, `records`).
    unit: &'static str,
    done: u64,
    total: Option<u64>,
    started: Instant,
    logged: Instant,
    done_gauge: IntGauge,
    total_gauge: IntGauge,
}

impl Progress {
    /// Starts following `work` (e.g. `snapshot of public.orders`) of `connector`'s task
    /// `task`, counted in `unit`, with `total` units expected when known.
    pub fn start(connector: &str, task: u32, work: &str, unit: &'static str, total: Option<u64>) -> Self {
        let metrics = Metrics::global();
        let task_label = task.to_string();
        let labels = [connector, task_label.as_str(), work];
        let progress = Progress {
            connector: connector.to_string(),
            task,
            work: work.to_string(),
            unit,
            done: 0,
            total,
            started: Instant::now(),
            logged: Instant::now(),
            done_gauge: metrics.progress_done.with_label_values(&labels),
            total_gauge: metrics.progress_total.with_label_values(&labels),
        };
        progress.done_gauge.set(0);
        progress.total_gauge.set(total.map_or(-1, saturating_i64));
        let expected = total.map(|t| format!(" of about {t} {unit}")).unwrap_or_default();
        tracing::debug!(connector = %progress.connector, task, work = %progress.work, "started{expected}");
        progress
    }

    /// Counts `count` more units done; logs when [`LOG_INTERVAL`] has passed since the last
    /// line.
    pub fn add(&mut self, count: u64) {
        self.done += count;
        self.done_gauge.set(saturating_i64(self.done));
        if self.logged.elapsed() >= LOG_INTERVAL {
            self.logged = Instant::now();
            tracing::info!(connector = %self.connector, task = self.task, work = %self.work, "{}", self.summary());
        }
    }

    /// Logs the last line; the gauges keep the final count (the total becomes what was done,
    /// the estimate having served its purpose).
    pub fn finish(self) {
        self.total_gauge.set(saturating_i64(self.done));
        let elapsed = self.started.elapsed();
        let seconds = elapsed.as_secs_f64();
        let line = format!(
            "done: {} {} in {seconds:.1} s ({:.0} {}/s)",
            self.done,
            self.unit,
            rate(self.done, seconds),
            self.unit
        );
        if elapsed >= LOG_INTERVAL {
            tracing::info!(connector = %self.connector, task = self.task, work = %self.work, "{line}");
        } else {
            tracing::debug!(connector = %self.connector, task = self.task, work = %self.work, "{line}");
        }
    }

    /// `12000 of about 50000 rows (24%), 4000 rows/s, about 10 s left`.
    fn summary(&self) -> String {
        let per_second = rate(self.done, self.started.elapsed().as_secs_f64());
        let mut text = format!("{} ", self.done);
        match self.total.filter(|t| *t > 0) {
            Some(total) => {
                let share = (self.done as f64 / total as f64 * 100.0).min(100.0);
                text.push_str(&format!("of about {total} {} ({share:.0}%)", self.unit));
                text.push_str(&format!(", {per_second:.0} {}/s", self.unit));
                if per_second > 0.0 {
                    let left = total.saturating_sub(self.done) as f64 / per_second;
                    text.push_str(&format!(", about {left:.0} s left"));
                }
            }
            None => text.push_str(&format!("{}, {per_second:.0} {}/s", self.unit, self.unit)),
        }
        text
    }
}

fn rate(done: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        done as f64 / seconds
    } else {
        0.0
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauges_follow_the_work_and_the_summary_says_what_is_left() {
        let mut progress = Progress::start("progress-test", 3, "snapshot of public.t", "rows", Some(200));
        progress.add(50);
        progress.add(50);
        let labels = ["progress-test", "3", "snapshot of public.t"];
        let metrics = Metrics::global();
        assert_eq!(metrics.progress_done.with_label_values(&labels).get(), 100);
        assert_eq!(metrics.progress_total.with_label_values(&labels).get(), 200);
        let summary = progress.summary();
        assert!(summary.starts_with("100 of about 200 rows (50%), "), "{summary}");
        assert!(summary.contains("rows/s"), "{summary}");
        progress.add(10);
        progress.finish();
        assert_eq!(metrics.progress_total.with_label_values(&labels).get(), 110);

        let unknown = Progress::start("progress-test", 3, "bulk load", "rows", None);
        assert_eq!(
            metrics
                .progress_total
                .with_label_values(&["progress-test", "3", "bulk load"])
                .get(),
            -1
        );
        assert!(unknown.summary().starts_with("0 rows, "), "{}", unknown.summary());
    }
}
