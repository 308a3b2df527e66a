//! What workers tell each other through the group coordinator: the metadata each member sends
//! with JoinGroup and the assignment the leader hands back through SyncGroup.
//!
//! The group's protocol type is `connect`, as for Apache Kafka Connect, but the subprotocol is
//! Tributary's own (`tributary-v1`, JSON): a mixed group of Apache and Tributary workers is
//! refused by the coordinator (INCONSISTENT_GROUP_PROTOCOL) instead of misreading each other.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The group protocol type (Apache's).
pub(super) const PROTOCOL_TYPE: &str = "connect";
/// The subprotocol name.
pub(super) const PROTOCOL_NAME: &str = "tributary-v1";

/// A unit of work: a connector object or one of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Work {
    /// The connector object.
    Connector(String),
    /// Task `n` of a connector.
    Task(String, u32),
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Work::Connector(name) => write!(f, "{name}"),
            Work::Task(name, task) => write!(f, "{name}-{task}"),
        }
    }
}

/// JoinGroup metadata of one member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MemberMetadata {
    /// The member's REST URL (`http://host:port`), for forwarding.
    pub url: String,
    /// The config-topic offset the member has read to.
    pub config_offset: i64,
    /// What the member runs now.
    pub owned: BTreeSet<Work>,
}

/// Why the leader refused a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum AssignmentError {
    /// Another member advertises the same REST URL.
    DuplicateUrl(String),
}

/// The leader's answer to one member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Assignment {
    /// Set when the member must not run anything (and should stop).
    pub error: Option<AssignmentError>,
    /// The leader's member id.
    pub leader: String,
    /// The leader's REST URL.
    pub leader_url: String,
    /// The config-topic offset the assignment was computed at; the member reads at least this
    /// far before starting anything.
    pub config_offset: i64,
    /// Everything the member should run now.
    pub work: BTreeSet<Work>,
    /// What the member must stop so that another member can take it over; the member rejoins
    /// once it has stopped it.
    pub revoked: BTreeSet<Work>,
    /// When non-zero, lost work is held back this long (`scheduled.rebalance.max.delay.ms`); the
    /// leader rebalances again then.
    pub delay_ms: u64,
    /// Every member running work in this generation, by member id: its REST URL. Members
    /// watch each other's listeners through it ([`super::liveness`]).
    #[serde(default)]
    pub members: BTreeMap<String, String>,
}
