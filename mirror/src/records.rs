//! MirrorMaker 2's internal records, byte for byte as Apache writes them (Kafka protocol
//! structs: big-endian integers, strings as a 16-bit length then UTF-8), so MM2 tooling such as
//! `RemoteClusterUtils` reads ours and we read theirs:
//!
//! | record | key | value |
//! |---|---|---|
//! | [`OffsetSync`] | topic, partition | upstreamOffset, offset |
//! | [`Checkpoint`] | group, topic, partition | version 0, upstreamOffset, offset, metadata |
//! | [`Heartbeat`] | sourceClusterAlias, targetClusterAlias | version 0, timestamp |

use thiserror::Error;

/// A record that cannot be decoded.
#[derive(Debug, Error)]
#[error("malformed {record} record: {reason}")]
pub struct Malformed {
    record: &'static str,
    reason: String,
}

/// Writes Kafka protocol types.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn string(mut self, value: &str) -> Self {
        let bytes = value.as_bytes();
        let length = i16::try_from(bytes.len()).unwrap_or(i16::MAX);
        self.0.extend_from_slice(&length.to_be_bytes());
        self.0.extend_from_slice(&bytes[..length as usize]);
        self
    }
    fn i16(mut self, value: i16) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }
    fn i32(mut self, value: i32) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }
    fn i64(mut self, value: i64) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }
}

/// Reads Kafka protocol types.
struct Reader<'a> {
    record: &'static str,
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(record: &'static str, bytes: Option<&'a [u8]>) -> Result<Self, Malformed> {
        let bytes = bytes.ok_or_else(|| Malformed {
            record,
            reason: "no bytes".into(),
        })?;
        Ok(Reader { record, bytes })
    }
    fn take<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        if self.bytes.len() < N {
            return Err(Malformed {
                record: self.record,
                reason: "too short".into(),
            });
        }
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        let mut out = [0; N];
        out.copy_from_slice(head);
        Ok(out)
    }
    fn i16(&mut self) -> Result<i16, Malformed> {
        self.take::<2>().map(i16::from_be_bytes)
    }
    fn i32(&mut self) -> Result<i32, Malformed> {
        self.take::<4>().map(i32::from_be_bytes)
    }
    fn i64(&mut self) -> Result<i64, Malformed> {
        self.take::<8>().map(i64::from_be_bytes)
    }
    fn string(&mut self) -> Result<String, Malformed> {
        let length = usize::try_from(self.i16()?).map_err(|_| Malformed {
            record: self.record,
            reason: "null string".into(),
        })?;
        if self.bytes.len() < length {
            return Err(Malformed {
                record: self.record,
                reason: "string past the end".into(),
            });
        }
        let (text, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        String::from_utf8(text.to_vec()).map_err(|e| Malformed {
            record: self.record,
            reason: e.to_string(),
        })
    }
    /// Reads the version header of versioned values; only version 0 exists.
    fn version(&mut self) -> Result<(), Malformed> {
        match self.i16()? {
            0 => Ok(()),
            other => Err(Malformed {
                record: self.record,
                reason: format!("unknown version {other}"),
            }),
        }
    }
}

/// "Upstream offset `upstream` of this source partition is at `downstream` in the remote
/// topic", written by the source task to the offset-syncs topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetSync {
    /// The source topic.
    pub topic: String,
    /// The partition (the same on both sides).
    pub partition: i32,
    /// The offset in the source topic.
    pub upstream: i64,
    /// The offset of the same record in the remote topic.
    pub downstream: i64,
}

impl OffsetSync {
    /// The record key.
    pub fn key(&self) -> Vec<u8> {
        Writer::default().string(&self.topic).i32(self.partition).0
    }
    /// The record value.
    pub fn value(&self) -> Vec<u8> {
        Writer::default().i64(self.upstream).i64(self.downstream).0
    }
    /// Decodes a record of the offset-syncs topic.
    pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Self, Malformed> {
        let mut key = Reader::new("offset sync", key)?;
        let mut value = Reader::new("offset sync", value)?;
        Ok(OffsetSync {
            topic: key.string()?,
            partition: key.i32()?,
            upstream: value.i64()?,
            downstream: value.i64()?,
        })
    }
}

/// A consumer group's position translated to the target cluster, written to
/// `<source>.checkpoints.internal` there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The consumer group.
    pub group: String,
    /// The topic on the target cluster (the remote topic).
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The group's committed offset on the source cluster.
    pub upstream: i64,
    /// The translated offset on the target cluster.
    pub downstream: i64,
    /// The commit's metadata.
    pub metadata: String,
}

impl Checkpoint {
    /// The record key.
    pub fn key(&self) -> Vec<u8> {
        Writer::default()
            .string(&self.group)
            .string(&self.topic)
            .i32(self.partition)
            .0
    }
    /// The record value (version 0).
    pub fn value(&self) -> Vec<u8> {
        Writer::default()
            .i16(0)
            .i64(self.upstream)
            .i64(self.downstream)
            .string(&self.metadata)
            .0
    }
    /// Decodes a record of a checkpoints topic.
    pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Self, Malformed> {
        let mut key = Reader::new("checkpoint", key)?;
        let mut value = Reader::new("checkpoint", value)?;
        value.version()?;
        Ok(Checkpoint {
            group: key.string()?,
            topic: key.string()?,
            partition: key.i32()?,
            upstream: value.i64()?,
            downstream: value.i64()?,
            metadata: value.string()?,
        })
    }
}

/// "Cluster `source` was alive at `timestamp`, as seen from `target`", written every second to
/// the `heartbeats` topic of the target and mirrored onward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The source cluster's alias.
    pub source: String,
    /// The target cluster's alias.
    pub target: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
}

impl Heartbeat {
    /// The record key.
    pub fn key(&self) -> Vec<u8> {
        Writer::default().string(&self.source).string(&self.target).0
    }
    /// The record value (version 0).
    pub fn value(&self) -> Vec<u8> {
        Writer::default().i16(0).i64(self.timestamp).0
    }
    /// Decodes a record of a heartbeats topic.
    pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Self, Malformed> {
        let mut key = Reader::new("heartbeat", key)?;
        let mut value = Reader::new("heartbeat", value)?;
        value.version()?;
        Ok(Heartbeat {
            source: key.string()?,
            target: key.string()?,
            timestamp: value.i64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_sync_matches_apache_bytes() {
        let sync = OffsetSync {
            topic: "t".into(),
            partition: 2,
            upstream: 5,
            downstream: 7,
        };
        assert_eq!(sync.key(), [0, 1, b't', 0, 0, 0, 2]);
        assert_eq!(sync.value(), [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(
            OffsetSync::decode(Some(&sync.key()), Some(&sync.value())).unwrap(),
            sync
        );
    }

    #[test]
    fn checkpoint_and_heartbeat_round_trip_with_version_zero() {
        let checkpoint = Checkpoint {
            group: "g".into(),
            topic: "A.t".into(),
            partition: 0,
            upstream: 10,
            downstream: 9,
            metadata: String::new(),
        };
        assert_eq!(&checkpoint.value()[..2], &[0, 0]);
        assert_eq!(
            Checkpoint::decode(Some(&checkpoint.key()), Some(&checkpoint.value())).unwrap(),
            checkpoint
        );
        let heartbeat = Heartbeat {
            source: "A".into(),
            target: "B".into(),
            timestamp: 1_700_000_000_000,
        };
        assert_eq!(
            Heartbeat::decode(Some(&heartbeat.key()), Some(&heartbeat.value())).unwrap(),
            heartbeat
        );
        assert!(Heartbeat::decode(Some(&heartbeat.key()), Some(&[0, 1, 0])).is_err());
    }
}
