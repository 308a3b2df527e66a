//! `ParquetSink`: topic data as Parquet files in a directory, in the layout of Confluent's
//! storage sinks: `<parquet.dir>/<topic>/partition=<p>/[<field>=<value>/]<topic>+<p>+<first
//! offset>+<last offset>.parquet`.
//!
//! Records (struct values, or any value with a schema as one `value` column) are buffered per
//! Kafka partition (and per value of `partition.field`) and written as one file when
//! `flush.size` records, about `file.max.bytes` bytes or `rotate.interval.ms` are reached, when
//! the value schema changes, and at every offset commit (the worker commits Kafka offsets only
//! for what is in files). A file is written to a hidden temporary name, synced and renamed, so
//! it appears whole or not at all; on start a task reads the offsets in the names of the files
//! already there and skips what they hold, so a crash between a rename and the offset commit
//! never writes a record twice.

mod columns;
mod config;
mod task;

use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use self::config::config_def;
use crate::config_per_task::ConfigPerTask;

pub(crate) const CLASS: &str = "io.tributary.connect.parquet.ParquetSinkConnector";

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 1] = [CLASS];

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["ParquetSinkConnector", "ParquetSink"],
        config_def,
        validate: None,
        alter_offsets: None,
        create: |config| Ok(Box::new(ConfigPerTask::new(config))),
        tasks: TaskFactory::Sink(|config| Ok(Box::new(task::ParquetSinkTask::new(config)?))),
    }
}
