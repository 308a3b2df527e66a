//! Apache Kafka's file connectors: `FileStreamSource` reads lines of a file (or stdin) into a
//! topic and resumes from its byte position; `FileStreamSink` appends record values to a file
//! (or stdout), one per line.

mod sink;
mod source;

pub use sink::FileStreamSinkTask;
pub use source::FileStreamSourceTask;

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 2] = [source::CLASS, sink::CLASS];
