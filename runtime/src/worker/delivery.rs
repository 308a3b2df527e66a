//! Which source offsets are safe to commit: those of poll batches whose every record Kafka
//! acknowledged, in poll order.
//!
//! Each poll batch is one entry; the producer's delivery callback only decrements that entry's
//! outstanding count (the batch id rides in the record's opaque), so tracking costs no
//! allocation per record. Offsets become committable batch by batch from the oldest, so a
//! committed offset never passes a record still in flight. When a batch's last record is
//! acknowledged, the time since its oldest record's timestamp is observed (for a mirror, the
//! replication latency), and the memory of its keys and values, which librdkafka read in place,
//! is handed back to the sender, to free or reuse on its own thread.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use prometheus::Histogram;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::ClientContext;
use tokio::sync::Notify;

use crate::client::ErrorCapture;
use crate::data::SourceMap;
use crate::storage::offset_key;

/// The batch id of records that are not source records (offsets written in a transaction):
/// their failures count, their acknowledgements do not.
pub(super) const UNTRACKED: usize = usize::MAX;

/// How many acknowledgements wake a waiting sender even when no batch has completed (a
/// sender waits for room in a full producer queue, which a batch still being sent fills).
const WAKE_EVERY: u64 = 256;

struct Batch {
    id: usize,
    outstanding: usize,
    sealed: bool,
    /// The last offset of each source partition in the batch.
    offsets: Vec<(SourceMap, SourceMap)>,
    /// The timestamp of its oldest record (milliseconds since the epoch), until the latency
    /// of the whole batch has been observed.
    oldest_timestamp: Option<i64>,
    /// The memory of the batch's keys and values, which librdkafka reads until it has reported
    /// each record's delivery ([`DeliveryTracker::hold`]).
    held: Option<Held>,
}

impl Batch {
    fn acknowledged(&self) -> bool {
        self.sealed && self.outstanding == 0
    }
}

#[derive(Default)]
struct State {
    batches: VecDeque<Batch>,
    next_id: usize,
    failure: Option<String>,
    /// The memory of acknowledged batches, until the sender takes it back.
    released: Vec<Held>,
}

/// Memory kept alive for a batch until its records are acknowledged.
pub(super) type Held = Arc<dyn std::any::Any + Send + Sync>;

/// Poll batches in flight and their acknowledgements.
#[derive(Default)]
pub struct DeliveryTracker {
    state: Mutex<State>,
    acked: Notify,
    acked_total: std::sync::atomic::AtomicU64,
    /// Observes, per batch, the time from its oldest record's timestamp to its last
    /// acknowledgement.
    latency: Option<Histogram>,
}

/// What may be committed now.
#[derive(Debug, Default)]
pub struct Committable {
    /// `(partition, offset)` pairs, one per source partition.
    pub offsets: Vec<(SourceMap, Option<SourceMap>)>,
    /// Batches still waiting for acknowledgements.
    pub pending_batches: usize,
}

impl DeliveryTracker {
    /// A tracker that observes each batch's latency (its oldest record's timestamp to its last
    /// acknowledgement) in `latency`.
    pub fn with_latency(latency: Histogram) -> Self {
        DeliveryTracker {
            latency: Some(latency),
            ..DeliveryTracker::default()
        }
    }

    /// Opens a batch; records sent for it carry the returned id.
    pub fn open_batch(&self) -> usize {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.batches.push_back(Batch {
            id,
            outstanding: 0,
            sealed: false,
            offsets: Vec::new(),
            oldest_timestamp: None,
            held: None,
        });
        id
    }

    /// Counts `count` more records sent for batch `id`, the oldest with timestamp
    /// `oldest_timestamp`; called before they are sent, since their delivery reports may
    /// arrive at once.
    pub fn records_sent(&self, id: usize, count: usize, oldest_timestamp: Option<i64>) {
        let mut state = self.lock();
        if let Some(batch) = find(&mut state.batches, id) {
            batch.outstanding += count;
            batch.oldest_timestamp = match (batch.oldest_timestamp, oldest_timestamp) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }

    /// Keeps `memory` (the keys and values of batch `id`'s records) until the batch is sealed
    /// and every record sent for it acknowledged: librdkafka reads them in place until then.
    /// Called before the first of them is queued; a batch never sealed (its sending failed or
    /// was abandoned) keeps its memory as long as the tracker, which the producer's context
    /// holds until librdkafka is gone.
    pub fn hold(&self, id: usize, memory: Held) {
        if let Some(batch) = find(&mut self.lock().batches, id) {
            batch.held = Some(memory);
        }
    }

    /// The memory of the batches acknowledged since the last call, for the sender to free or
    /// reuse on its own thread, where it was allocated.
    pub fn take_released(&self) -> Vec<Held> {
        std::mem::take(&mut self.lock().released)
    }

    /// When `batch`'s last record has just been acknowledged: observes its latency and releases
    /// its memory.
    fn finish_if_acknowledged(&self, batch: &mut Batch, released: &mut Vec<Held>) {
        if !batch.acknowledged() {
            return;
        }
        if let (Some(latency), Some(oldest)) = (&self.latency, batch.oldest_timestamp.take()) {
            let now = crate::clock::now_millis();
            latency.observe(now.saturating_sub(oldest).max(0) as f64 / 1000.0);
        }
        released.extend(batch.held.take());
    }

    /// Marks batch `id` complete: no more records will be sent for it, and `offsets` (the last
    /// offset of each source partition in it, sent or skipped) become committable once every
    /// record sent for it is acknowledged.
    pub fn seal(&self, id: usize, offsets: Vec<(SourceMap, SourceMap)>) {
        let mut state = self.lock();
        let State { batches, released, .. } = &mut *state;
        if let Some(batch) = find(batches, id) {
            batch.sealed = true;
            batch.offsets = offsets;
            self.finish_if_acknowledged(batch, released);
        }
        drop(state);
        self.acked.notify_waiters();
    }

    /// Records a delivery report. Waiters are woken by a failure, by the last report of a
    /// batch and by every [`WAKE_EVERY`]th report, not by each: waking is a lock of its own,
    /// taken on the producer's polling thread for every record.
    pub fn delivered(&self, id: usize, error: Option<String>) {
        let mut state = self.lock();
        let mut wake = match error {
            Some(error) => {
                state.failure.get_or_insert(error);
                true
            }
            None if id != UNTRACKED => {
                let before = self.acked_total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (before + 1) % WAKE_EVERY == 0
            }
            None => false,
        };
        let State { batches, released, .. } = &mut *state;
        if let Some(batch) = find(batches, id) {
            batch.outstanding = batch.outstanding.saturating_sub(1);
            wake |= batch.outstanding == 0;
            self.finish_if_acknowledged(batch, released);
        }
        drop(state);
        if wake {
            self.acked.notify_waiters();
        }
    }

    /// Notes that a record of batch `id` was refused before it was queued and then skipped
    /// (`errors.tolerance=all`): it will get no delivery report, and its batch no longer waits
    /// for one.
    pub fn skipped(&self, id: usize) {
        let mut state = self.lock();
        let State { batches, released, .. } = &mut *state;
        if let Some(batch) = find(batches, id) {
            batch.outstanding = batch.outstanding.saturating_sub(1);
            self.finish_if_acknowledged(batch, released);
        }
        drop(state);
        self.acked.notify_waiters();
    }

    /// The first delivery failure, if any.
    pub fn failure(&self) -> Option<String> {
        self.lock().failure.clone()
    }

    /// Takes the offsets of every leading batch that is sealed and fully acknowledged.
    pub fn take_committable(&self) -> Committable {
        let mut state = self.lock();
        let mut merged: BTreeMap<String, (SourceMap, SourceMap)> = BTreeMap::new();
        while state.batches.front().is_some_and(Batch::acknowledged) {
            if let Some(batch) = state.batches.pop_front() {
                for (partition, offset) in batch.offsets {
                    merged.insert(offset_key("", &partition), (partition, offset));
                }
            }
        }
        Committable {
            offsets: merged.into_values().map(|(p, o)| (p, Some(o))).collect(),
            pending_batches: state.batches.len(),
        }
    }

    /// Records acknowledged so far.
    pub fn acked_total(&self) -> u64 {
        self.acked_total.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records sent but not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.lock().batches.iter().map(|b| b.outstanding).sum()
    }

    /// Waits until deliveries may have made room: a batch acknowledged or sealed, a failure, or
    /// [`WAKE_EVERY`] more acknowledgements.
    pub async fn wait_for_ack(&self) {
        self.acked.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock can only come from a bug here; keep going with the data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn find(batches: &mut VecDeque<Batch>, id: usize) -> Option<&mut Batch> {
    let first = batches.front()?.id;
    batches.get_mut(id.checked_sub(first)?)
}

/// The producer context of a source task: routes delivery reports to its tracker (and to its
/// acknowledgement log, when the task asked for acknowledgements), and keeps the errors that
/// leave the producer unable to reach Kafka.
pub(super) struct TrackingContext {
    /// The task's tracker.
    pub tracker: Arc<DeliveryTracker>,
    /// The task's acknowledgement log, set once the started task asked for acknowledgements.
    pub acks: Arc<std::sync::OnceLock<super::ack_log::AckLog>>,
    /// Authentication and TLS failures.
    pub errors: ErrorCapture,
}

impl ClientContext for TrackingContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        self.errors.log(level, facility, message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.errors.error(error, reason);
    }
}

impl ProducerContext for TrackingContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, batch: usize) {
        use rdkafka::Message;
        let error = result
            .as_ref()
            .err()
            .map(|(e, m)| format!("Failed to send record to topic {}: {e}", m.topic()));
        if let Some(acks) = self.acks.get().filter(|_| batch != UNTRACKED) {
            match result {
                Ok(m) => acks.delivered(m.topic(), m.partition(), Some(m.offset())),
                Err((_, m)) => acks.delivered(m.topic(), m.partition(), None),
            }
        }
        self.tracker.delivered(batch, error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: serde_json::Value) -> SourceMap {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_batch_latency_is_observed_once_at_its_last_acknowledgement() {
        let histogram =
            Histogram::with_opts(prometheus::HistogramOpts::new("latency_test", "test")).expect("valid histogram");
        let tracker = DeliveryTracker::with_latency(histogram.clone());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let batch = tracker.open_batch();
        tracker.records_sent(batch, 2, Some(now - 2_000));
        tracker.records_sent(batch, 1, Some(now - 1_000));
        tracker.delivered(batch, None);
        tracker.delivered(batch, None);
        tracker.delivered(batch, None);
        assert_eq!(histogram.get_sample_count(), 0, "not sealed yet");
        tracker.seal(batch, Vec::new());
        assert_eq!(histogram.get_sample_count(), 1);
        assert!(
            (2.0..60.0).contains(&histogram.get_sample_sum()),
            "{}",
            histogram.get_sample_sum()
        );
        tracker.seal(batch, Vec::new());
        assert_eq!(histogram.get_sample_count(), 1, "observed once");
    }

    #[test]
    fn offsets_commit_only_through_fully_acked_batches() {
        let tracker = DeliveryTracker::default();
        let p = map(serde_json::json!({"file": "a"}));
        let first = tracker.open_batch();
        tracker.records_sent(first, 2, None);
        tracker.seal(first, vec![(p.clone(), map(serde_json::json!({"pos": 2})))]);
        let second = tracker.open_batch();
        tracker.records_sent(second, 1, None);
        tracker.seal(second, vec![(p.clone(), map(serde_json::json!({"pos": 3})))]);

        tracker.delivered(second, None);
        assert!(tracker.take_committable().offsets.is_empty(), "batch 1 still in flight");
        tracker.delivered(first, None);
        assert!(
            tracker.take_committable().offsets.is_empty(),
            "one record of batch 1 in flight"
        );
        tracker.delivered(first, None);
        let committable = tracker.take_committable();
        assert_eq!(
            committable.offsets,
            vec![(p.clone(), Some(map(serde_json::json!({"pos": 3}))))]
        );
        assert_eq!(committable.pending_batches, 0);
    }

    /// A batch of `records` records holding some memory, and a watch on that memory.
    fn held_batch(tracker: &DeliveryTracker, records: usize) -> (usize, std::sync::Weak<Vec<u8>>) {
        let memory: Arc<Vec<u8>> = Arc::new(vec![7; 16]);
        let watched = Arc::downgrade(&memory);
        let batch = tracker.open_batch();
        tracker.records_sent(batch, records, None);
        tracker.hold(batch, memory);
        (batch, watched)
    }

    #[test]
    fn a_batchs_memory_is_held_until_it_is_sealed_and_every_record_acknowledged() {
        let tracker = DeliveryTracker::default();
        let (batch, watched) = held_batch(&tracker, 2);
        tracker.delivered(batch, None);
        assert!(watched.upgrade().is_some(), "one record in flight");
        tracker.delivered(batch, Some("timed out".into()));
        assert!(
            watched.upgrade().is_some(),
            "not sealed: more records may still be sent"
        );
        tracker.seal(batch, Vec::new());
        let released = tracker.take_released();
        assert_eq!(released.len(), 1, "released once sealed and all reported");
        drop(released);
        assert!(watched.upgrade().is_none());

        // A batch whose last report comes after its seal is released by that report.
        let (batch, watched) = held_batch(&tracker, 1);
        tracker.seal(batch, Vec::new());
        assert!(watched.upgrade().is_some(), "sealed with a record in flight");
        assert!(tracker.take_released().is_empty());
        tracker.delivered(batch, None);
        drop(tracker.take_released());
        assert!(watched.upgrade().is_none());

        // A batch never sealed (its sending failed) keeps its memory as long as the tracker.
        let (batch, watched) = held_batch(&tracker, 1);
        tracker.delivered(batch, None);
        assert!(watched.upgrade().is_some());
        drop(tracker);
        assert!(watched.upgrade().is_none());
    }

    #[test]
    fn unsealed_batches_are_not_committed() {
        let tracker = DeliveryTracker::default();
        let p = map(serde_json::json!({"file": "a"}));
        let id = tracker.open_batch();
        assert!(tracker.take_committable().offsets.is_empty());
        tracker.seal(id, vec![(p, map(serde_json::json!({"pos": 9})))]);
        assert_eq!(tracker.take_committable().offsets.len(), 1);
    }

    #[test]
    fn a_waiting_sender_wakes_when_its_batch_is_acknowledged_or_every_so_many_reports() {
        use futures::FutureExt;
        let tracker = DeliveryTracker::default();
        let batch = tracker.open_batch();
        tracker.records_sent(batch, 3, None);
        let mut waiting = Box::pin(tracker.wait_for_ack());
        assert!((&mut waiting).now_or_never().is_none(), "nothing delivered yet");
        tracker.delivered(batch, None);
        tracker.delivered(batch, None);
        assert!((&mut waiting).now_or_never().is_none(), "the batch is still in flight");
        tracker.delivered(batch, None);
        assert!((&mut waiting).now_or_never().is_some(), "the batch is acknowledged");

        let big = tracker.open_batch();
        tracker.records_sent(big, 2 * WAKE_EVERY as usize, None);
        let mut waiting = Box::pin(tracker.wait_for_ack());
        assert!((&mut waiting).now_or_never().is_none());
        // Three acknowledged above: the next wake-up comes at the WAKE_EVERYth in all.
        for _ in 3..WAKE_EVERY - 1 {
            tracker.delivered(big, None);
        }
        assert!((&mut waiting).now_or_never().is_none(), "one report short");
        tracker.delivered(big, None);
        assert!(
            (&mut waiting).now_or_never().is_some(),
            "woken within a batch still in flight"
        );

        let mut waiting = Box::pin(tracker.wait_for_ack());
        assert!((&mut waiting).now_or_never().is_none());
        tracker.delivered(big, Some("broker down".into()));
        assert!((&mut waiting).now_or_never().is_some(), "a failure wakes at once");
    }
}
