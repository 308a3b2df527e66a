//! The Parquet sink's config keys and the settings a task is built from.

use std::path::PathBuf;
use std::time::Duration;

use parquet::basic::Compression;
use tributary_runtime::config::{not_blank, positive, ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};

/// `parquet.dir`.
pub(super) const DIR: Key<String> = Key::new(
    ConfigKey::required("parquet.dir", ConfigType::String, "The directory the files go under.").check(not_blank),
);
/// `flush.size`.
pub(super) const FLUSH_SIZE: Key<usize> =
    Key::new(ConfigKey::optional("flush.size", ConfigType::Int, "10000", "Records per file at most.").check(positive));
/// `file.max.bytes`.
pub(super) const FILE_MAX_BYTES: Key<usize> = Key::new(
    ConfigKey::optional(
        "file.max.bytes",
        ConfigType::Long,
        "134217728",
        "About how many bytes of record data make a file.",
    )
    .check(positive),
);
/// `rotate.interval.ms`.
pub(super) const ROTATE_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "rotate.interval.ms",
    ConfigType::Long,
    "600000",
    "How long a file may stay open (from its first record); 0 or less for no limit.",
));
/// `partition.field`.
pub(super) const PARTITION_FIELD: Key<String> = Key::new(ConfigKey::optional(
    "partition.field",
    ConfigType::String,
    "",
    "A value field whose value names a sub-directory (field=value).",
));
/// `parquet.codec`.
pub(super) const CODEC: Key<String> = Key::new(
    ConfigKey::optional("parquet.codec", ConfigType::String, "snappy", "snappy or none.").check(|v| {
        ["snappy", "none", "uncompressed"]
            .contains(&v.trim())
            .then_some(())
            .ok_or_else(|| "must be snappy or none".into())
    }),
);

/// Every key of the sink.
pub(super) fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&DIR)
        .key(&FLUSH_SIZE)
        .key(&FILE_MAX_BYTES)
        .key(&ROTATE_INTERVAL)
        .key(&PARTITION_FIELD)
        .key(&CODEC)
}

/// The task's settings.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// The directory the files go under.
    pub dir: PathBuf,
    /// Records per file at most.
    pub flush_size: usize,
    /// About how many bytes make a file.
    pub max_bytes: usize,
    /// How long a file may stay open, when limited.
    pub rotate: Option<Duration>,
    /// The field naming sub-directories.
    pub partition_field: Option<String>,
    /// The codec.
    pub compression: Compression,
}

impl Settings {
    /// The settings of `config`.
    pub(super) fn new(config: &ParsedConfig) -> Self {
        let rotate = config.value(&ROTATE_INTERVAL);
        Settings {
            dir: PathBuf::from(config.value(&DIR)),
            flush_size: config.value(&FLUSH_SIZE),
            max_bytes: config.value(&FILE_MAX_BYTES),
            rotate: (!rotate.is_zero()).then_some(rotate),
            partition_field: Some(config.value(&PARTITION_FIELD)).filter(|f| !f.trim().is_empty()),
            compression: match config.value(&CODEC).trim() {
                "none" | "uncompressed" => Compression::UNCOMPRESSED,
                _ => Compression::SNAPPY,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_runtime::config::ConfigMap;

    #[test]
    fn defaults_come_from_the_declarations_alone() {
        let config = ConfigMap::from([("parquet.dir".to_string(), "/data".to_string())]);
        let settings = Settings::new(&config_def().parse(&config).unwrap());
        assert_eq!(settings.flush_size, 10_000);
        assert_eq!(settings.max_bytes, 128 << 20);
        assert_eq!(settings.rotate, Some(Duration::from_secs(600)));
        assert_eq!(settings.partition_field, None);
        assert_eq!(settings.compression, Compression::SNAPPY);
        let blank = ConfigMap::from([("parquet.dir".to_string(), " ".to_string())]);
        assert_eq!(config_def().validate(&blank)[0].key, "parquet.dir");
    }
}
