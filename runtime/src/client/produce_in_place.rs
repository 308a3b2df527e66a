//! A producer's records queued in librdkafka, copied or read from the caller's memory.
//!
//! rdkafka's `send` has librdkafka copy each key and value into a message of its own
//! (`RD_KAFKA_MSG_F_COPY`), and queues one record per call: each call turns the topic's name
//! into a C string, finds the topic by that name, reads its variable arguments, takes and
//! releases the topic's lock, and reads the clock for the record's time. A [`ProducerTopic`]
//! holds librdkafka's handle of one topic and queues records for it a run at a time, copied or
//! where they are ([`Placement`]), with `rd_kafka_produce_batch_timestamped`, a function this
//! project's librdkafka adds beside `rd_kafka_produce_batch` to take each record's timestamp
//! and headers ([`ProducerTopic::produce_run`]): the topic found, locked and the clock read once
//! per run. A file source at 100-byte lines took a fifth less CPU than with a call per record.
//!
//! A record without a timestamp of its own gets the time of the call (CreateTime); its headers,
//! in librdkafka's form ([`NativeHeaders`]), pass to librdkafka when it is queued.
//!
//! Left in place, a record's key and value are read by librdkafka until it has reported the
//! record's delivery (it still copies values under `message.copy.max.bytes` into the request
//! it sends): the caller keeps that memory alive and unchanged until then, which is why both
//! calls are `unsafe`.

use std::ffi::{c_void, CString};
use std::ptr::NonNull;
use std::sync::Arc;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{Producer, ProducerContext, ThreadedProducer};
use rdkafka_sys as rdsys;

use super::DropOffRuntime;

/// librdkafka's `RD_KAFKA_PARTITION_UA`: no partition yet, the partitioner chooses.
const PARTITION_UNASSIGNED: i32 = -1;

/// Where librdkafka reads a queued record's key and value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// From a copy of its own, made in the call: the caller's memory is free again at once.
    Copied,
    /// From the caller's memory, which must stay alive and unchanged until the record's
    /// delivery report. Spares a copy and the memory librdkafka allocates for it (5-18% of a
    /// file source's CPU at 1 KiB lines); at 100 bytes, keeping the caller's memory alive that
    /// long cost more than the copies.
    InPlace,
}

impl Placement {
    /// librdkafka's message flags for it.
    fn flags(self) -> i32 {
        match self {
            Placement::Copied => rdsys::RD_KAFKA_MSG_F_COPY,
            Placement::InPlace => 0,
        }
    }
}

/// One record to queue: key and value bytes (copied, or read in place until the record's
/// delivery report: [`Placement`]), the partition when the record names one (else the
/// producer's partitioner chooses), its timestamp when it has one (else the time it is
/// queued), and the delivery opaque its delivery report hands back (a producer context's
/// `DeliveryOpaque = usize`).
#[derive(Debug, Clone, Copy)]
pub struct RunRecord<'a> {
    /// The key; `None` for a null key.
    pub key: Option<&'a [u8]>,
    /// The value; `None` for a null value (a tombstone).
    pub value: Option<&'a [u8]>,
    /// The partition, when the record names one.
    pub partition: Option<i32>,
    /// Milliseconds since the epoch, when the record has a timestamp of its own.
    pub timestamp: Option<i64>,
    /// Handed back in the record's delivery report.
    pub opaque: usize,
}

/// `slice` as librdkafka takes a key or value: a pointer (null for none) and a length.
fn raw_bytes(slice: Option<&[u8]>) -> (*mut c_void, usize) {
    // Without RD_KAFKA_MSG_F_FREE librdkafka never writes to nor frees them.
    slice.map_or((std::ptr::null_mut(), 0), |s| (s.as_ptr().cast_mut().cast(), s.len()))
}

/// `timestamp` as librdkafka takes it: 0 for none, which it reads as the time of the call.
fn timestamp_or_now(timestamp: Option<i64>) -> i64 {
    timestamp.unwrap_or(0)
}

/// A record's headers in librdkafka's form, handed over with the record
/// ([`ProducerTopic::produce_run`]); destroyed with this value when they are not.
///
/// Transparent, so that `Option<NativeHeaders>` is a pointer to the list or null: a slice of
/// them is the array of header lists librdkafka takes, and nulls the entries it took.
#[repr(transparent)]
pub struct NativeHeaders(NonNull<rdsys::rd_kafka_headers_t>);

const _: () =
    assert!(std::mem::size_of::<Option<NativeHeaders>>() == std::mem::size_of::<*mut rdsys::rd_kafka_headers_t>());

// SAFETY: the list is owned by this value alone until librdkafka takes it.
unsafe impl Send for NativeHeaders {}

impl NativeHeaders {
    /// An empty list with room for `count` headers.
    pub fn with_capacity(count: usize) -> Self {
        // SAFETY: allocates a new list; librdkafka aborts rather than return null.
        let list = unsafe { rdsys::rd_kafka_headers_new(count) };
        NativeHeaders(NonNull::new(list).expect("librdkafka allocates header lists or aborts"))
    }

    /// Adds header `name` with `value` (`None` for a null value); librdkafka copies both.
    pub fn add(&mut self, name: &str, value: Option<&[u8]>) {
        let (value, value_len) = raw_bytes(value);
        // SAFETY: the list is ours and writable; the name and value are read (with their
        // lengths, so no terminator is needed) and copied during the call. The call fails only
        // for a read-only list, which a list of our own is not.
        unsafe {
            rdsys::rd_kafka_header_add(
                self.0.as_ptr(),
                name.as_ptr().cast(),
                name.len() as isize,
                value,
                value_len as isize,
            );
        }
    }
}

impl std::fmt::Debug for NativeHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: counts the headers of a list that is ours.
        let count = unsafe { rdsys::rd_kafka_header_cnt(self.0.as_ptr()) };
        f.debug_struct("NativeHeaders").field("count", &count).finish()
    }
}

impl Drop for NativeHeaders {
    fn drop(&mut self) {
        // SAFETY: the list is still ours (librdkafka nulls the entries of lists it took).
        unsafe { rdsys::rd_kafka_headers_destroy(self.0.as_ptr()) };
    }
}

/// A librdkafka topic handle, which librdkafka's own locks guard; its functions may be called
/// from any thread.
struct TopicHandle(NonNull<rdsys::rd_kafka_topic_t>);

// SAFETY: librdkafka's topic handles are reference-counted and locked by librdkafka.
unsafe impl Send for TopicHandle {}
// SAFETY: as above.
unsafe impl Sync for TopicHandle {}

/// A topic of a producer, to queue records for.
pub struct ProducerTopic {
    topic: TopicHandle,
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
        let client = producer.client().native_ptr();
        let client = NonNull::new(client).ok_or(KafkaError::MessageProduction(RDKafkaErrorCode::InvalidArgument))?;
        // SAFETY: the client is a live producer; a null configuration takes the producer's
        // default topic settings (those given with the producer's own); the handle is
        // released in `drop`, before the producer held in `_producer` can go.
        let topic = unsafe { rdsys::rd_kafka_topic_new(client.as_ptr(), c_name.as_ptr(), std::ptr::null_mut()) };
        let topic = NonNull::new(topic).ok_or_else(|| {
            // SAFETY: reads this thread's last librdkafka error, which `rd_kafka_topic_new` set.
            let code = unsafe { rdsys::rd_kafka_last_error() };
            KafkaError::MessageProduction(code.into())
        })?;
        Ok(ProducerTopic {
            topic: TopicHandle(topic),
            _producer: producer,
        })
    }

    /// Queues `records` in their order, placed as `placement` says, record `i` with `headers[i]`
    /// (one entry per record). Returns how many were handled from the start: all of them, or
    /// those before the first that did not fit in the producer's queue (the rest are not
    /// queued; the caller waits for deliveries and hands them over again, their headers still
    /// in `headers`); and those among them librdkafka refused (a record larger than
    /// `message.max.bytes`…), which are not queued and get no delivery report, while the
    /// records after them are queued. The headers of a record queued are librdkafka's: its
    /// entry is `None` after the call.
    ///
    /// # Safety
    ///
    /// With [`Placement::InPlace`], the keys and values of the records queued must stay alive
    /// and unchanged until librdkafka has reported each one's delivery (or the producer is
    /// destroyed).
    pub unsafe fn produce_run<'a>(
        &self,
        records: impl Iterator<Item = RunRecord<'a>>,
        headers: &mut [Option<NativeHeaders>],
        placement: Placement,
    ) -> Result<RunQueued, KafkaError> {
        let (mut messages, timestamps): (Vec<rdsys::rd_kafka_message_t>, Vec<i64>) = records
            .map(|record| {
                let (payload, len) = raw_bytes(record.value);
                let (key, key_len) = raw_bytes(record.key);
                let message = rdsys::rd_kafka_message_t {
                    err: rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
                    rkt: std::ptr::null_mut(),
                    partition: record.partition.unwrap_or(PARTITION_UNASSIGNED),
                    payload,
                    len,
                    key,
                    key_len,
                    offset: 0,
                    _private: record.opaque as *mut c_void,
                };
                (message, timestamp_or_now(record.timestamp))
            })
            .unzip();
        let count = i32::try_from(messages.len())
            .ok()
            .filter(|_| headers.len() == messages.len())
            .ok_or(KafkaError::MessageProduction(RDKafkaErrorCode::InvalidArgument))?;
        // SAFETY: the topic handle is live (its producer is held); the array holds `count`
        // messages whose keys and values are copied in the call (F_COPY) or kept by the caller
        // until their delivery reports; F_PARTITION takes each message's partition, UA running
        // the producer's partitioner; `timestamps` holds a timestamp for each message and
        // `headers` a list or null for each (`Option<NativeHeaders>` is a nullable pointer:
        // `NativeHeaders` is transparent over `NonNull`), lists of our own, which librdkafka
        // takes for the messages it queues and nulls there. librdkafka writes each message's
        // `err`.
        unsafe {
            rdsys::rd_kafka_produce_batch_timestamped(
                self.topic.0.as_ptr(),
                PARTITION_UNASSIGNED,
                placement.flags() | rdsys::RD_KAFKA_MSG_F_PARTITION,
                messages.as_mut_ptr(),
                count,
                timestamps.as_ptr(),
                headers.as_mut_ptr().cast::<*mut rdsys::rd_kafka_headers_t>(),
            );
        }
        let mut refused = Vec::new();
        for (index, message) in messages.iter().enumerate() {
            match message.err {
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => {}
                // Once one record finds the queue full, librdkafka refuses every later one.
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL => {
                    return Ok(RunQueued {
                        handled: index,
                        refused,
                    })
                }
                code => refused.push((index, KafkaError::MessageProduction(code.into()))),
            }
        }
        Ok(RunQueued {
            handled: messages.len(),
            refused,
        })
    }
}

/// What [`ProducerTopic::produce_run`] did with a run of records.
#[derive(Debug)]
pub struct RunQueued {
    /// How many records from the start were handled: queued, or refused.
    pub handled: usize,
    /// The records among them librdkafka refused, by their index in the run, with why.
    pub refused: Vec<(usize, KafkaError)>,
}

impl Drop for ProducerTopic {
    fn drop(&mut self) {
        // SAFETY: the handle came from `rd_kafka_topic_new` and is released once; the producer
        // is still alive (held in `_producer`, dropped after this).
        unsafe { rdsys::rd_kafka_topic_destroy(self.topic.0.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use rdkafka::config::ClientConfig;
    use rdkafka::message::Message;
    use rdkafka::producer::DeliveryResult;
    use rdkafka::ClientContext;

    use super::*;

    /// Where each delivery report's value pointed, with its opaque.
    #[derive(Default)]
    struct Reports(Mutex<Vec<(usize, Option<usize>)>>);

    impl ClientContext for Reports {}

    impl ProducerContext for Reports {
        type DeliveryOpaque = usize;

        fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
            let message = match result {
                Ok(message) => message,
                Err((_, message)) => message,
            };
            let value = message.payload().map(|value| value.as_ptr() as usize);
            self.0.lock().expect("not poisoned").push((opaque, value));
        }
    }

    /// A producer with room for `messages` records, whose broker never answers (its records
    /// stay queued until the producer is dropped, which reports them as purged).
    fn producer(messages: usize) -> Arc<DropOffRuntime<ThreadedProducer<Reports>>> {
        let producer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("queue.buffering.max.messages", messages.to_string())
            .create_with_context(Reports::default())
            .expect("a producer");
        Arc::new(DropOffRuntime::new(producer))
    }

    fn record(value: &'static [u8], opaque: usize) -> RunRecord<'static> {
        RunRecord {
            key: None,
            value: Some(value),
            partition: None,
            timestamp: None,
            opaque,
        }
    }

    /// Headers named `origin` (value `here`) and `empty` (a null value).
    fn headers() -> NativeHeaders {
        let mut headers = NativeHeaders::with_capacity(2);
        headers.add("origin", Some(b"here"));
        headers.add("empty", None);
        headers
    }

    #[test]
    fn a_record_too_large_is_refused_alone_and_gets_no_report() {
        static LARGE: [u8; 2000] = [b'x'; 2000];
        let producer: Arc<DropOffRuntime<ThreadedProducer<Reports>>> = Arc::new(DropOffRuntime::new(
            ClientConfig::new()
                .set("bootstrap.servers", "127.0.0.1:1")
                .set("message.max.bytes", "1000")
                .create_with_context(Reports::default())
                .expect("a producer"),
        ));
        let topic = ProducerTopic::new(producer.clone(), "too-large").expect("a topic handle");
        let values: [&'static [u8]; 3] = [b"small", &LARGE, b"after"];
        let run = values.iter().enumerate().map(|(n, value)| record(value, n));
        // SAFETY: the values are static.
        let queued = unsafe { topic.produce_run(run, &mut [None, None, None], Placement::InPlace) }.expect("queued");
        assert_eq!(queued.handled, 3);
        let refused: Vec<(usize, String)> = queued.refused.iter().map(|(i, e)| (*i, e.to_string())).collect();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].0, 1, "{refused:?}");
        assert!(refused[0].1.contains("MessageSizeTooLarge"), "{refused:?}");
        let context = producer.context().clone();
        drop(topic);
        drop(producer);
        let mut opaques: Vec<usize> = context
            .0
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|(o, _)| *o)
            .collect();
        opaques.sort();
        assert_eq!(opaques, [0, 2], "the refused record is not reported");
    }

    #[test]
    fn records_are_read_in_place_or_copied_and_a_full_queue_hands_the_rest_back() {
        static VALUES: [&[u8]; 5] = [b"first", b"second", b"third", b"fourth", b"fifth"];
        let producer = producer(4);
        let topic = ProducerTopic::new(producer.clone(), "in-place").expect("a topic handle");
        let run = VALUES[..3].iter().enumerate().map(|(n, value)| record(value, n));
        let mut run_headers = [None, Some(headers()), None];
        // SAFETY: the values are static.
        let queued = unsafe { topic.produce_run(run, &mut run_headers, Placement::InPlace) }.expect("queued");
        assert_eq!((queued.handled, queued.refused.len()), (3, 0));
        assert!(run_headers.iter().all(Option::is_none), "librdkafka took the headers");

        let run = VALUES[3..].iter().enumerate().map(|(n, value)| record(value, n + 3));
        let mut run_headers = [Some(headers()), Some(headers())];
        // SAFETY: copied.
        let queued = unsafe { topic.produce_run(run, &mut run_headers, Placement::Copied) }.expect("no error");
        assert_eq!(queued.handled, 1, "the queue holds four records");
        assert!(
            run_headers[0].is_none() && run_headers[1].is_some(),
            "the headers of a record not queued are handed back"
        );

        let mismatched = std::iter::once(record(VALUES[4], 4));
        // SAFETY: as above.
        let refused = unsafe { topic.produce_run(mismatched, &mut [], Placement::Copied) };
        assert!(refused.is_err(), "one entry of headers per record");

        let context = producer.context().clone();
        assert!(
            context.0.lock().expect("not poisoned").is_empty(),
            "a broker that never answers"
        );
        // Dropping the producer (outside a runtime: here) purges its queue and reports each record.
        drop(topic);
        drop(producer);
        let mut reports = std::mem::take(&mut *context.0.lock().expect("not poisoned"));
        reports.sort();
        let opaques: Vec<usize> = reports.iter().map(|(opaque, _)| *opaque).collect();
        assert_eq!(opaques, [0, 1, 2, 3], "each queued record reported once");
        let in_place: Vec<bool> = reports
            .iter()
            .map(|(opaque, value)| *value == Some(VALUES[*opaque].as_ptr() as usize))
            .collect();
        assert_eq!(in_place, [true, true, true, false], "read where it was unless copied");
    }
}
