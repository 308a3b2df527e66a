//! Where the worker keeps state: source offsets and statuses. Standalone mode keeps offsets in
//! a local file (`offset.storage.file.filename`); distributed mode keeps them in Kafka topics.

mod offsets;
mod status;

pub use offsets::{offset_key, ConnectorOffsetsReader, FileOffsetStore, MemoryOffsetStore, OffsetStore, StoreError};
pub use status::{ConnectorStatus, State, StatusStore, TaskStatus};
