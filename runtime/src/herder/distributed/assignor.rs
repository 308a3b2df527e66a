//! The leader's assignment: spreads connectors and tasks evenly over the members while moving
//! as little as possible, and never gives a member work another member still runs.
//!
//! A pure function of what exists and what each member reports running. Work that must move to
//! balance the group is first revoked from its owner (which stops it and rejoins); only the next
//! rebalance gives it to its new owner. Work nobody runs (new, or from a member that left) is
//! handed out at once, unless the leader holds it back for `scheduled.rebalance.max.delay.ms`.

use std::collections::{BTreeMap, BTreeSet};

use super::protocol::Work;

/// One member's share: what to run, and what to stop for others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Share {
    /// Everything the member should run.
    pub work: BTreeSet<Work>,
    /// What it runs now but must stop.
    pub revoked: BTreeSet<Work>,
}

/// Assigns `all` (every existing connector and task) to `members` (id, what it runs now),
/// leaving `held_back` work unassigned.
pub(super) fn assign(
    members: &[(String, BTreeSet<Work>)],
    all: &BTreeSet<Work>,
    held_back: &BTreeSet<Work>,
) -> BTreeMap<String, Share> {
    let mut shares: BTreeMap<String, Share> = members.iter().map(|(id, _)| (id.clone(), Share::default())).collect();
    if members.is_empty() {
        return shares;
    }
    // Who runs what; the first claimant keeps a doubly-claimed item, the others stop it.
    let mut claimed: BTreeSet<&Work> = BTreeSet::new();
    let mut owned: Vec<(&str, Vec<&Work>)> = Vec::new();
    for (id, running) in members {
        let mut mine = Vec::new();
        for work in running {
            if all.contains(work) && claimed.insert(work) {
                mine.push(work);
            } else if let Some(share) = shares.get_mut(id) {
                // Deleted work, or work another member runs: stop it.
                share.revoked.insert(work.clone());
            }
        }
        owned.push((id, mine));
    }
    for connectors in [true, false] {
        let category = |w: &&Work| matches!(w, Work::Connector(_)) == connectors;
        let total = all.iter().filter(category).count();
        let (base, extra) = (total / members.len(), total % members.len());
        // Members already running the most keep the extra slots, to move less.
        let mut order: Vec<(usize, &str, Vec<&Work>)> = owned
            .iter()
            .map(|(id, mine)| {
                let mine: Vec<&Work> = mine.iter().copied().filter(category).collect();
                (mine.len(), *id, mine)
            })
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let mut capacity: Vec<(&str, usize)> = Vec::new();
        for (rank, (_, id, mine)) in order.into_iter().enumerate() {
            let quota = base + usize::from(rank < extra);
            let share = shares.entry(id.to_string()).or_default();
            for (index, work) in mine.into_iter().enumerate() {
                if index < quota {
                    share.work.insert(work.clone());
                } else {
                    share.revoked.insert(work.clone());
                }
            }
            let kept = share.work.iter().filter(|w| category(w)).count();
            capacity.push((id, quota.saturating_sub(kept)));
        }
        let free: Vec<&Work> = all
            .iter()
            .filter(category)
            .filter(|w| !claimed.contains(w) && !held_back.contains(*w))
            .collect();
        // Round-robin, so a connector's tasks spread over the members.
        capacity.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut free = free.into_iter();
        'fill: loop {
            let mut gave = false;
            for (id, room) in capacity.iter_mut() {
                if *room == 0 {
                    continue;
                }
                let Some(work) = free.next() else { break 'fill };
                if let Some(share) = shares.get_mut(*id) {
                    share.work.insert(work.clone());
                }
                *room -= 1;
                gave = true;
            }
            if !gave {
                break;
            }
        }
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(connector: &str, n: u32) -> Vec<Work> {
        (0..n).map(|t| Work::Task(connector.into(), t)).collect()
    }

    fn everything(connectors: u32, tasks_each: u32) -> BTreeSet<Work> {
        let mut all = BTreeSet::new();
        for c in 0..connectors {
            let name = format!("c{c}");
            all.insert(Work::Connector(name.clone()));
            all.extend(tasks(&name, tasks_each));
        }
        all
    }

    fn members(shares: &BTreeMap<String, Share>) -> Vec<(String, BTreeSet<Work>)> {
        shares.iter().map(|(id, s)| (id.clone(), s.work.clone())).collect()
    }

    fn task_counts(shares: &BTreeMap<String, Share>) -> Vec<usize> {
        shares
            .values()
            .map(|s| s.work.iter().filter(|w| matches!(w, Work::Task(..))).count())
            .collect()
    }

    #[test]
    fn spreads_evenly_from_scratch() {
        let all = everything(20, 3);
        let fresh: Vec<(String, BTreeSet<Work>)> = ["a", "b", "c"]
            .iter()
            .map(|m| (m.to_string(), BTreeSet::new()))
            .collect();
        let shares = assign(&fresh, &all, &BTreeSet::new());
        assert_eq!(task_counts(&shares), vec![20, 20, 20]);
        let assigned: usize = shares.values().map(|s| s.work.len()).sum();
        assert_eq!(assigned, all.len());
        // A connector's tasks land on different members.
        for share in shares.values() {
            assert!(tasks("c0", 3).iter().filter(|t| share.work.contains(t)).count() <= 1);
        }
    }

    #[test]
    fn a_new_member_takes_only_what_balance_needs_after_revocation() {
        let all = everything(20, 3);
        let two: Vec<(String, BTreeSet<Work>)> = ["a", "b"].iter().map(|m| (m.to_string(), BTreeSet::new())).collect();
        let first = assign(&two, &all, &BTreeSet::new());
        let mut joined = members(&first);
        joined.push(("c".into(), BTreeSet::new()));
        let second = assign(&joined, &all, &BTreeSet::new());
        // Nothing is handed to c while a or b still runs it.
        assert!(second["c"].work.is_empty());
        let revoked: usize = second.values().map(|s| s.revoked.len()).sum();
        assert_eq!(
            revoked, 26,
            "a and b give up only the excess: 20 tasks and 6 connectors"
        );
        for share in second.values() {
            assert!(share.work.is_disjoint(&share.revoked));
        }
        // After a and b stop what was revoked, c receives it and the group is balanced.
        let third = assign(&members(&second), &all, &BTreeSet::new());
        assert_eq!(task_counts(&third), vec![20, 20, 20]);
        assert!(third.values().all(|s| s.revoked.is_empty()));
        // Nothing that stayed put moved.
        for id in ["a", "b"] {
            assert!(second[id].work.is_subset(&third[id].work));
        }
    }

    #[test]
    fn work_of_a_departed_member_is_reassigned_at_once_unless_held_back() {
        let all = everything(6, 2);
        let three: Vec<(String, BTreeSet<Work>)> = ["a", "b", "c"]
            .iter()
            .map(|m| (m.to_string(), BTreeSet::new()))
            .collect();
        let before = assign(&three, &all, &BTreeSet::new());
        let survivors: Vec<(String, BTreeSet<Work>)> =
            members(&before).into_iter().filter(|(id, _)| id != "c").collect();
        let after = assign(&survivors, &all, &BTreeSet::new());
        let assigned: BTreeSet<Work> = after.values().flat_map(|s| s.work.iter().cloned()).collect();
        assert_eq!(assigned, all);
        assert_eq!(task_counts(&after), vec![6, 6]);

        let lost = before["c"].work.clone();
        let held = assign(&survivors, &all, &lost);
        let assigned: BTreeSet<Work> = held.values().flat_map(|s| s.work.iter().cloned()).collect();
        assert!(assigned.is_disjoint(&lost));
    }

    #[test]
    fn deleted_and_doubly_claimed_work_is_stopped() {
        let all = everything(1, 1);
        let ghost = Work::Connector("gone".into());
        let both: BTreeSet<Work> = all.iter().cloned().chain([ghost.clone()]).collect();
        let claims = vec![("a".to_string(), both.clone()), ("b".to_string(), all.clone())];
        let shares = assign(&claims, &all, &BTreeSet::new());
        assert!(shares["a"].revoked.contains(&ghost));
        assert_eq!(shares["b"].revoked, all, "b must stop what a already runs");
        assert!(shares["b"].work.is_empty());
    }
}
