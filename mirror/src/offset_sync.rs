//! Offset translation between a source topic and its remote copy, as MirrorMaker 2 does it.
//!
//! The writer side ([`OffsetSyncWriter`], in the source task) decides which acknowledged
//! records become [`OffsetSync`]s: at once when the translation would otherwise fall
//! `offset.lag.max` records behind, when upstream offsets skip (compaction, transaction
//! markers) or the remote topic was truncated; otherwise the latest one per partition waits
//! for the next offset commit. The reader side ([`OffsetSyncStore`], in the checkpoint task)
//! translates a group's offset conservatively: never past a record that was not replicated.
//!
//! Unlike MirrorMaker 2, whose store keeps exponentially spaced syncs (so a group far behind
//! the head translates to a much older offset and re-reads thousands of records after a
//! failover), the store keeps every sync from the oldest position a group has committed up to
//! the head, which are at most `offset.lag.max` records apart: every group translates to
//! within `offset.lag.max` of its committed position, however far it lags. Only the syncs
//! older than every group's position are thinned out, and a partition keeps at most
//! [`MAX_SYNCS`] of them.

use std::collections::{BTreeMap, HashMap};

use crate::records::OffsetSync;

/// Syncs kept per partition below the oldest position a group needs, exponentially spaced.
const HISTORY: usize = 64;
/// Syncs kept per partition at most: a group more than this many syncs (times
/// `offset.lag.max` records) behind the head translates coarsely.
pub const MAX_SYNCS: usize = 200_000;

#[derive(Debug, Clone, Copy)]
struct PartitionState {
    previous_upstream: i64,
    previous_downstream: i64,
    last_sync_downstream: i64,
}

impl Default for PartitionState {
    fn default() -> Self {
        PartitionState {
            previous_upstream: -1,
            previous_downstream: -1,
            last_sync_downstream: -1,
        }
    }
}

/// Which offset syncs a source task emits.
#[derive(Debug)]
pub struct OffsetSyncWriter {
    max_lag: i64,
    partitions: HashMap<(String, i32), PartitionState>,
    /// Syncs to send now, in order.
    urgent: Vec<OffsetSync>,
    /// The latest sync per partition, sent at the next commit.
    delayed: BTreeMap<(String, i32), OffsetSync>,
}

impl OffsetSyncWriter {
    /// A writer for `offset.lag.max` = `max_lag`.
    pub fn new(max_lag: i64) -> Self {
        OffsetSyncWriter {
            max_lag: max_lag.max(0),
            partitions: HashMap::new(),
            urgent: Vec::new(),
            delayed: BTreeMap::new(),
        }
    }

    /// Notes that the records of `topic`/`partition` at upstream offsets `pairs[i].0` were
    /// written at `pairs[i].1`, in order.
    pub fn record(&mut self, topic: &str, partition: i32, pairs: &[(i64, i64)]) {
        let Some(&(last_upstream, last_downstream)) = pairs.last() else {
            return;
        };
        let state = match self.partitions.get_mut(&(topic.to_string(), partition)) {
            Some(state) => state,
            None => self.partitions.entry((topic.to_string(), partition)).or_default(),
        };
        let mut last_urgent = None;
        let sync = |(upstream, downstream): (i64, i64)| OffsetSync {
            topic: topic.to_string(),
            partition,
            upstream,
            downstream,
        };
        for (index, &(upstream, downstream)) in pairs.iter().enumerate() {
            let first = state.previous_downstream == -1;
            // Translation lands one past the last sync, hence the + 1.
            let stale = downstream - (state.last_sync_downstream + 1) >= self.max_lag;
            let skipped = upstream - state.previous_upstream != 1;
            let truncated = downstream < state.previous_downstream;
            state.previous_upstream = upstream;
            state.previous_downstream = downstream;
            if first || stale || skipped || truncated {
                state.last_sync_downstream = downstream;
                last_urgent = Some(index);
                self.urgent.push(sync((upstream, downstream)));
            }
        }
        let key = (topic.to_string(), partition);
        if last_urgent.is_some() {
            self.delayed.remove(&key);
        }
        if last_urgent != Some(pairs.len() - 1) {
            self.delayed.insert(key, sync((last_upstream, last_downstream)));
        }
    }

    /// The syncs to send now.
    pub fn take_urgent(&mut self) -> Vec<OffsetSync> {
        std::mem::take(&mut self.urgent)
    }

    /// Every sync waiting (at an offset commit), so translation reaches the end of the data.
    pub fn take_all(&mut self) -> Vec<OffsetSync> {
        let mut all = std::mem::take(&mut self.urgent);
        for (key, sync) in std::mem::take(&mut self.delayed) {
            if let Some(state) = self.partitions.get_mut(&key) {
                state.last_sync_downstream = sync.downstream;
            }
            all.push(sync);
        }
        all
    }
}

/// The offset syncs read so far, by source topic partition.
///
/// Its memory stays bounded while a task reads a long offset-syncs topic at start (every sync
/// the topic still holds, of every flow into the same target): a partition's syncs are thinned
/// as in [`Self::compact`] each time they double, along the groups' positions last known.
#[derive(Debug)]
pub struct OffsetSyncStore {
    syncs: HashMap<(String, i32), PartitionSyncs>,
    /// The lowest offset any group committed, per partition, as last given: the syncs from
    /// there up stay.
    needed: HashMap<(String, i32), i64>,
}

/// One partition's syncs.
#[derive(Debug)]
struct PartitionSyncs {
    /// upstream → downstream.
    history: BTreeMap<i64, i64>,
    /// How many syncs make the next thinning due.
    thin_at: usize,
}

impl Default for PartitionSyncs {
    fn default() -> Self {
        PartitionSyncs {
            history: BTreeMap::new(),
            thin_at: 4 * HISTORY,
        }
    }
}

impl PartitionSyncs {
    /// Thins the history below the sync at or before `needed` (all but the newest when
    /// `None`), and schedules the next thinning for when what is left has doubled.
    fn thin(&mut self, needed: Option<i64>) {
        let keep_from = needed.and_then(|upstream| self.history.range(..=upstream).next_back().map(|(u, _)| *u));
        thin_below(&mut self.history, keep_from);
        if self.history.len() > MAX_SYNCS {
            let keep_from = self.history.keys().nth(MAX_SYNCS / 2).copied();
            thin_below(&mut self.history, keep_from);
        }
        self.thin_at = (2 * self.history.len()).clamp(4 * HISTORY, MAX_SYNCS);
    }
}

impl OffsetSyncStore {
    /// A store for groups whose lowest committed offsets per partition are `needed`.
    pub fn new(needed: HashMap<(String, i32), i64>) -> Self {
        OffsetSyncStore {
            syncs: HashMap::new(),
            needed,
        }
    }

    /// Adds a sync read from the offset-syncs topic.
    pub fn add(&mut self, sync: OffsetSync) {
        let key = (sync.topic, sync.partition);
        let needed = self.needed.get(&key).copied();
        let partition = self.syncs.entry(key).or_default();
        let history = &mut partition.history;
        // A sync below newer ones means the source task restarted from an older point: what
        // it replaces above it is no longer trustworthy.
        let newer: Vec<i64> = history.range(sync.upstream..).map(|(u, _)| *u).collect();
        for upstream in newer {
            history.remove(&upstream);
        }
        history.insert(sync.upstream, sync.downstream);
        if history.len() > partition.thin_at {
            partition.thin(needed);
        }
    }

    /// Forgets what no group needs: per partition, every sync from the one at or below the
    /// lowest offset a group has committed (`needed`) up to the head stays; the older ones, and
    /// those of partitions no group reads, are thinned out exponentially.
    pub fn compact(&mut self, needed: HashMap<(String, i32), i64>) {
        self.needed = needed;
        for (key, partition) in &mut self.syncs {
            partition.thin(self.needed.get(key).copied());
        }
    }

    /// The downstream offset for consumer offset `upstream` of `topic`/`partition`: exact when
    /// a sync names it, else one past the downstream offset of the newest earlier sync (never
    /// beyond data not replicated). `None` when no sync is old enough.
    pub fn translate(&self, topic: &str, partition: i32, upstream: i64) -> Option<i64> {
        let (synced_upstream, downstream) = self.sync_for(topic, partition, upstream)?;
        Some(if synced_upstream == upstream {
            downstream
        } else {
            downstream + 1
        })
    }

    /// How many records a group that commits `upstream` on the source would read again on the
    /// target after failing over to its translated offset: those between the sync the
    /// translation uses and `upstream`. `None` when no sync is old enough.
    pub fn translation_gap(&self, topic: &str, partition: i32, upstream: i64) -> Option<i64> {
        let (synced_upstream, _) = self.sync_for(topic, partition, upstream)?;
        Some((upstream - synced_upstream - 1).max(0))
    }

    /// The newest sync at or before `upstream`: (upstream, downstream) offsets.
    fn sync_for(&self, topic: &str, partition: i32, upstream: i64) -> Option<(i64, i64)> {
        let partition = self.syncs.get(&(topic.to_string(), partition))?;
        partition
            .history
            .range(..=upstream)
            .next_back()
            .map(|(&synced, &downstream)| (synced, downstream))
    }
}

/// Keeps every sync at or above `keep_from` (all of them but the newest when `None`) and, below
/// it, the oldest sync and one per doubling of the distance, at most about [`HISTORY`].
fn thin_below(history: &mut BTreeMap<i64, i64>, keep_from: Option<i64>) {
    let anchor = match keep_from.or_else(|| history.keys().next_back().copied()) {
        Some(anchor) => anchor,
        None => return,
    };
    if history.range(..anchor).count() <= HISTORY {
        return;
    }
    let Some(&oldest) = history.keys().next() else { return };
    let mut keep = std::collections::BTreeSet::new();
    let mut bound = 0_i64;
    for &upstream in history.range(..anchor).map(|(u, _)| u).rev() {
        let distance = anchor - upstream;
        if upstream == oldest || distance >= bound {
            keep.insert(upstream);
            bound = distance.max(1).saturating_mul(2);
        }
    }
    history.retain(|upstream, _| *upstream >= anchor || keep.contains(upstream));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync(upstream: i64, downstream: i64) -> OffsetSync {
        OffsetSync {
            topic: "t".into(),
            partition: 0,
            upstream,
            downstream,
        }
    }

    #[test]
    fn writer_syncs_at_once_only_when_needed() {
        let mut writer = OffsetSyncWriter::new(100);
        writer.record("t", 0, &[(0, 0)]);
        assert_eq!(writer.take_urgent(), vec![sync(0, 0)], "first sync");
        let pairs: Vec<(i64, i64)> = (1..100).map(|o| (o, o)).collect();
        writer.record("t", 0, &pairs);
        assert!(writer.take_urgent().is_empty(), "within offset.lag.max");
        writer.record("t", 0, &[(100, 100), (101, 101), (105, 102), (106, 103)]);
        assert_eq!(
            writer.take_urgent(),
            vec![sync(101, 101), sync(105, 102)],
            "lag reached, then upstream skipped"
        );
        assert_eq!(writer.take_all(), vec![sync(106, 103)], "delayed until commit");
        assert!(writer.take_all().is_empty());
    }

    #[test]
    fn translation_never_passes_unreplicated_data() {
        let mut store = OffsetSyncStore::new(HashMap::new());
        store.add(sync(10, 100));
        store.add(sync(20, 105));
        assert_eq!(store.translate("t", 0, 5), None);
        assert_eq!(store.translate("t", 0, 10), Some(100));
        assert_eq!(store.translate("t", 0, 15), Some(101));
        assert_eq!(store.translate("t", 0, 20), Some(105));
        assert_eq!(store.translate("t", 0, 25), Some(106));
        store.add(sync(12, 200));
        assert_eq!(store.translate("t", 0, 25), Some(201), "a rewind drops newer syncs");
        // From 25, translated to 201 (= upstream 13): 13..=24 would be read again.
        assert_eq!(store.translation_gap("t", 0, 25), Some(12));
        assert_eq!(store.translation_gap("t", 0, 12), Some(0), "exact");
        assert_eq!(
            store.translation_gap("t", 0, 13),
            Some(0),
            "one past a sync is exact too"
        );
        assert_eq!(store.translation_gap("t", 0, 5), None);
    }

    #[test]
    fn groups_far_behind_translate_within_offset_lag_max() {
        // Syncs every 100 records (offset.lag.max = 100), the downstream copy shifted by 7.
        // A group committed at 11,875 long ago; another at the head.
        let needed: HashMap<(String, i32), i64> = [(("t".to_string(), 0), 11_875)].into_iter().collect();
        let mut store = OffsetSyncStore::new(needed.clone());
        for upstream in (0..40_000).step_by(100) {
            store.add(sync(upstream, upstream + 7));
        }
        store.compact(needed);
        for committed in [11_875, 12_000, 25_555, 39_950] {
            let translated = store.translate("t", 0, committed).unwrap();
            assert!(translated <= committed + 7, "{committed} went past replicated data");
            assert!(committed + 7 - translated < 100, "{committed} → {translated}");
        }
        // Below every group's position the history is thinned, still never past the data.
        let history = &store.syncs[&("t".to_string(), 0)].history;
        assert!(history.range(..11_800).count() <= HISTORY + 1, "{} kept", history.len());
        assert!(store.translate("t", 0, 5_050).is_some_and(|d| d <= 5_057));
    }

    #[test]
    fn partitions_no_group_reads_stay_small_and_every_partition_bounded() {
        let mut store = OffsetSyncStore::new(HashMap::new());
        for offset in 0..10_000 {
            store.add(sync(offset, offset));
        }
        store.compact(HashMap::new());
        let history = &store.syncs[&("t".to_string(), 0)].history;
        assert!(history.len() <= HISTORY + 2, "{} syncs kept", history.len());
        assert_eq!(store.translate("t", 0, 9_999), Some(9_999));
        assert!(store.translate("t", 0, 5_000).is_some_and(|d| d <= 5_000));
        let mut big = OffsetSyncStore::new(HashMap::new());
        for offset in 0..(MAX_SYNCS as i64 + 10) {
            big.add(sync(offset, offset));
        }
        assert!(big.syncs[&("t".to_string(), 0)].history.len() <= MAX_SYNCS);
    }

    #[test]
    fn a_long_topic_read_at_start_is_thinned_as_it_is_read() {
        // Two partitions, 150,000 syncs each: one a group committed at 23,456 of, one no
        // group reads.
        let needed: HashMap<(String, i32), i64> = [(("t".to_string(), 0), 23_456)].into_iter().collect();
        let mut store = OffsetSyncStore::new(needed);
        let mut largest = 0;
        for upstream in 0..150_000 {
            for partition in [0, 1] {
                store.add(OffsetSync {
                    partition,
                    ..sync(upstream, upstream + 3)
                });
            }
            largest = largest.max(store.syncs[&("t".to_string(), 1)].history.len());
        }
        assert!(largest <= 4 * HISTORY + 1, "the unread partition held {largest} syncs");
        // The group's partition kept every sync from its position up, which a later restart
        // sync still cuts back.
        let history = &store.syncs[&("t".to_string(), 0)].history;
        assert_eq!(history.range(23_456..).count(), 150_000 - 23_456);
        assert!(history.range(..23_456).count() <= HISTORY + 1);
        assert_eq!(store.translate("t", 0, 23_456), Some(23_459));
        assert_eq!(store.translate("t", 0, 149_999), Some(150_002));
        store.add(sync(100_000, 9));
        assert_eq!(store.translate("t", 0, 149_999), Some(10));
    }
}
