//! The errant record reporter a sink task gets when its connector sets a dead letter queue
//! or `errors.log.enable` (Apache's `ErrantRecordReporter`, from Kafka 2.6).

use async_trait::async_trait;

use super::ConnectError;
use crate::data::SinkRecord;

/// Where a sink task reports a record handed to its `put` that it cannot write, instead of
/// failing: the worker deals with it as with a record its converters or transforms refused
/// (`errors.tolerance`, `errors.log.enable`, `errors.deadletterqueue.*`, at stage
/// `TASK_PUT`), sending to the dead letter queue the record as it was read from Kafka.
#[async_trait]
pub trait ErrantRecordReporter: Send + Sync + std::fmt::Debug {
    /// Reports `record`, which could not be written because of `error`; returns once the
    /// report is done (written to the dead letter queue, if set). An error means the task must
    /// fail: `errors.tolerance` is `none` (Apache's "Tolerance exceeded in error handler"), or
    /// the dead letter queue could not be written. The worker fails a task that returns from
    /// `put` after such an error all the same.
    async fn report(&self, record: &SinkRecord, error: &str) -> Result<(), ConnectError>;
}
