//! A producer's records handed to librdkafka a run at a time.
//!
//! rdkafka queues one record per call (`rd_kafka_producev`): each call turns the topic's name
//! into a C string, finds the topic by that name, reads its variable arguments, takes and
//! releases the topic's lock, and reads the clock for the record's time. A [`ProducerTopic`]
//! holds librdkafka's handle of one topic and queues a run of records for it in one call
//! (`rd_kafka_produce_batch`): the topic found, locked and the clock read once per run
//! (librdkafka's partitioner still reads it for each record it places). A file source at
//! 100-byte lines took a fifth less CPU.
//!
//! That call takes no headers and no timestamps: every record of a run gets the time of the
//! call as its timestamp (CreateTime), as a record queued without one does. Records with
//! headers or a timestamp of their own go through rdkafka's `send`.

use std::ffi::{c_void, CString};
use std::ptr::NonNull;
use std::sync::Arc;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{Producer, ProducerContext, ThreadedProducer};
use rdkafka_sys as rdsys;

use super::DropOffRuntime;

/// librdkafka's `RD_KAFKA_PARTITION_UA`: no partition yet, the partitioner chooses.
const PARTITION_UNASSIGNED: i32 = -1;

/// One record of a run: key and value bytes (copied by librdkafka), the partition when the
/// record names one (else the producer's partitioner chooses), and the delivery opaque its
/// delivery report hands back (a producer context's `DeliveryOpaque = usize`).
#[derive(Debug, Clone, Copy)]
pub struct RunRecord<'a> {
    /// The key; `None` for a null key.
    pub key: Option<&'a [u8]>,
    /// The value; `None` for a null value (a tombstone).
    pub value: Option<&'a [u8]>,
    /// The partition, when the record names one.
    pub partition: Option<i32>,
    /// Handed back in the record's delivery report.
    pub opaque: usize,
}

/// librdkafka's handle of a topic. Its functions may be called from any thread.
struct TopicPtr(NonNull<rdsys::rd_kafka_topic_t>);

// SAFETY: librdkafka's topic handles are reference-counted and locked by librdkafka itself.
unsafe impl Send for TopicPtr {}
// SAFETY: as above.
unsafe impl Sync for TopicPtr {}

/// A topic of a producer, to queue runs of records for.
pub struct ProducerTopic {
    topic: TopicPtr,
    /// The producer outlives its topic handle: librdkafka frees its topics when the producer
    /// is destroyed.
    _producer: Arc<dyn Send + Sync>,
}

impl ProducerTopic {
    /// The topic `name` of `producer`, with the producer's topic settings.
    pub fn new<C: ProducerContext + 'static>(
        producer: Arc<DropOffRuntime<ThreadedProducer<C>>>,
        name: &str,
    ) -> Result<Self, KafkaError> {
        let c_name = CString::new(name).map_err(KafkaError::from)?;
        // SAFETY: the client is a live producer; a null configuration takes the producer's
        // default topic settings (those given with the producer's own); the handle is
        // released in `drop`, before the producer held in `_producer` can go.
        let topic =
            unsafe { rdsys::rd_kafka_topic_new(producer.client().native_ptr(), c_name.as_ptr(), std::ptr::null_mut()) };
        let topic = NonNull::new(topic).ok_or_else(|| {
            // SAFETY: reads this thread's last librdkafka error, which `rd_kafka_topic_new` set.
            let code = unsafe { rdsys::rd_kafka_last_error() };
            KafkaError::MessageProduction(code.into())
        })?;
        Ok(ProducerTopic {
            topic: TopicPtr(topic),
            _producer: producer,
        })
    }

    /// Queues `records` in their order. Returns how many were queued from the start: all of
    /// them, or those before the first that did not fit in the producer's queue (the rest are
    /// not queued; the caller waits for deliveries and hands them over again). Any other
    /// refusal is an error.
    pub fn produce<'a>(&self, records: impl Iterator<Item = RunRecord<'a>>) -> Result<usize, KafkaError> {
        fn bytes(slice: Option<&[u8]>) -> (*mut c_void, usize) {
            // librdkafka copies them (RD_KAFKA_MSG_F_COPY) and never writes to them.
            slice.map_or((std::ptr::null_mut(), 0), |s| (s.as_ptr().cast_mut().cast(), s.len()))
        }
        let mut messages: Vec<rdsys::rd_kafka_message_t> = records
            .map(|record| {
                let (payload, len) = bytes(record.value);
                let (key, key_len) = bytes(record.key);
                rdsys::rd_kafka_message_t {
                    err: rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
                    rkt: std::ptr::null_mut(),
                    partition: record.partition.unwrap_or(PARTITION_UNASSIGNED),
                    payload,
                    len,
                    key,
                    key_len,
                    offset: 0,
                    _private: record.opaque as *mut c_void,
                }
            })
            .collect();
        let count = i32::try_from(messages.len())
            .map_err(|_| KafkaError::MessageProduction(RDKafkaErrorCode::InvalidArgument))?;
        // SAFETY: the topic handle is live (its producer is held); the array holds `count`
        // messages whose keys and values are borrowed for `'a`, past this call, and copied by
        // librdkafka (F_COPY); F_PARTITION takes each message's partition, UA running the
        // producer's partitioner. librdkafka writes each message's `err`.
        unsafe {
            rdsys::rd_kafka_produce_batch(
                self.topic.0.as_ptr(),
                PARTITION_UNASSIGNED,
                rdsys::RD_KAFKA_MSG_F_COPY | rdsys::RD_KAFKA_MSG_F_PARTITION,
                messages.as_mut_ptr(),
                count,
            );
        }
        for (queued, message) in messages.iter().enumerate() {
            match message.err {
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => {}
                // Once one record finds the queue full, librdkafka refuses every later one.
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL => return Ok(queued),
                code => return Err(KafkaError::MessageProduction(code.into())),
            }
        }
        Ok(messages.len())
    }
}

impl Drop for ProducerTopic {
    fn drop(&mut self) {
        // SAFETY: the handle came from `rd_kafka_topic_new` and is released once; the producer
        // is still alive (held in `_producer`, dropped after this).
        unsafe { rdsys::rd_kafka_topic_destroy(self.topic.0.as_ptr()) };
    }
}
