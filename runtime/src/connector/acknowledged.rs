//! Acknowledgements handed back to source tasks that ask for them
//! ([`super::SourceTask::wants_acknowledgements`]): which offset Kafka gave each record.

/// Records of one topic partition that Kafka acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The topic written to.
    pub topic: String,
    /// The partition written to.
    pub partition: i32,
    /// `(position the task attached, offset in the topic)` pairs, in send order.
    pub offsets: Vec<(i64, i64)>,
}
