//! The acknowledgements of a source task that asked for them
//! ([`crate::connector::SourceTask::wants_acknowledgements`]).
//!
//! The producer acknowledges the records of one partition in the order they were sent, so a
//! queue per partition pairs each acknowledgement with the position the task attached to the
//! record, without anything riding in the record itself.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::connector::Acknowledged;

/// Looked up once or twice per record: a fast hash rather than SipHash.
type HashMap<K, V> = foldhash::HashMap<K, V>;

#[derive(Default)]
struct PartitionLog {
    /// Positions of records sent and not yet acknowledged, oldest first.
    in_flight: VecDeque<i64>,
    acknowledged: Vec<(i64, i64)>,
}

/// The positions of a task's records in flight, and the acknowledgements not yet handed over.
#[derive(Default)]
pub(crate) struct AckLog {
    topics: Mutex<HashMap<String, HashMap<i32, PartitionLog>>>,
}

impl AckLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<i32, PartitionLog>>> {
        // Only a bug here could poison the lock; the data stays usable.
        self.topics.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes records about to be sent, as `(topic, partition, position)`, in send order.
    pub(crate) fn sent<'a>(&self, records: impl IntoIterator<Item = (&'a str, i32, i64)>) {
        let mut topics = self.lock();
        let mut records = records.into_iter().peekable();
        while let Some((topic, partition, position)) = records.next() {
            let partitions = match topics.get_mut(topic) {
                Some(partitions) => partitions,
                None => topics.entry(topic.to_string()).or_default(),
            };
            let log = partitions.entry(partition).or_default();
            log.in_flight.push_back(position);
            // The rest of the run of records to the same partition, without looking it up again.
            while let Some((_, _, position)) = records.next_if(|(t, p, _)| *t == topic && *p == partition) {
                log.in_flight.push_back(position);
            }
        }
    }

    /// Pairs the oldest record in flight to `topic`/`partition` with the offset Kafka gave it
    /// (`None` when delivery failed: the record is dropped from the log).
    pub(crate) fn delivered(&self, topic: &str, partition: i32, offset: Option<i64>) {
        let mut topics = self.lock();
        let Some(log) = topics.get_mut(topic).and_then(|p| p.get_mut(&partition)) else {
            return;
        };
        if let (Some(position), Some(offset)) = (log.in_flight.pop_front(), offset) {
            log.acknowledged.push((position, offset));
        }
    }

    /// Drops the record at `position` to `topic`/`partition`, which was refused before it was
    /// queued (records sent before it may still be in flight).
    pub(crate) fn skipped(&self, topic: &str, partition: i32, position: i64) {
        let mut topics = self.lock();
        let Some(log) = topics.get_mut(topic).and_then(|p| p.get_mut(&partition)) else {
            return;
        };
        if let Some(at) = log.in_flight.iter().rposition(|p| *p == position) {
            log.in_flight.remove(at);
        }
    }

    /// Takes the acknowledgements gathered since the last call.
    pub(crate) fn take(&self) -> Vec<Acknowledged> {
        let mut topics = self.lock();
        let mut taken = Vec::new();
        for (topic, partitions) in topics.iter_mut() {
            for (partition, log) in partitions.iter_mut() {
                if !log.acknowledged.is_empty() {
                    taken.push(Acknowledged {
                        topic: topic.clone(),
                        partition: *partition,
                        offsets: std::mem::take(&mut log.acknowledged),
                    });
                }
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_pair_with_positions_in_send_order() {
        let log = AckLog::default();
        log.sent([("t", 0, 10), ("t", 0, 11), ("t", 1, 50)]);
        log.delivered("t", 0, Some(100));
        log.delivered("t", 1, Some(7));
        let mut taken = log.take();
        taken.sort_by_key(|a| a.partition);
        assert_eq!(taken[0].offsets, vec![(10, 100)]);
        assert_eq!(taken[1].offsets, vec![(50, 7)]);
        log.delivered("t", 0, Some(101));
        assert_eq!(log.take()[0].offsets, vec![(11, 101)]);
        assert!(log.take().is_empty());
    }

    #[test]
    fn a_skipped_record_leaves_the_others_paired() {
        let log = AckLog::default();
        log.sent([("t", 0, 10), ("t", 0, 11), ("t", 0, 12)]);
        log.skipped("t", 0, 11);
        log.delivered("t", 0, Some(100));
        log.delivered("t", 0, Some(101));
        assert_eq!(log.take()[0].offsets, vec![(10, 100), (12, 101)]);
    }
}
