//! What exactly-once source tasks need from a distributed worker: the names that tie a task's
//! transactions to its cluster.

/// The identity of a distributed worker's exactly-once source tasks
/// (`exactly.once.source.support=enabled`): their transactional ids derive from the group, and
/// their offsets are written to the cluster's offsets topic inside each transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactlyOnceSource {
    /// `group.id`.
    pub group: String,
    /// `offset.storage.topic`.
    pub offsets_topic: String,
}

impl ExactlyOnceSource {
    /// The `transactional.id` of a task, as Apache's workers name it
    /// (`<group.id>-<connector>-<task>`): the next instance of a task fences the last one, and
    /// the leader fences the ids of removed tasks, by this name.
    pub fn transactional_id(&self, connector: &str, task: impl std::fmt::Display) -> String {
        format!("{}-{connector}-{task}", self.group)
    }
}
