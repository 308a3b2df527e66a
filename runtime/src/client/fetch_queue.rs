//! A consumer's fetched messages read from librdkafka a batch at a time.
//!
//! rdkafka hands a consumer's messages over one per poll, and every poll reads the clock several
//! times and takes the queue's lock (librdkafka's poll bookkeeping, rdkafka's own deadline): a
//! sixth of a small-record sink's CPU. A [`FetchQueue`] is a queue of the consumer's own that
//! the assigned partitions' fetched messages are routed to; one call takes up to a whole batch
//! from it (`rd_kafka_consume_batch_queue`, one clock read and one bookkeeping per batch).
//! Rebalances, errors and commit results stay on the consumer's queue, served by its stream as
//! before: a batch read from the consumer's queue itself would serve a rebalance with
//! librdkafka's default handling (an unassign) instead of the consumer context's.
//!
//! A partition is routed before it is assigned, so that none of its messages reaches the
//! consumer's queue first: from the consumer context's `pre_rebalance` through a
//! [`FetchRoute`], or with [`FetchQueue::route`] before `assign`. librdkafka keeps the route
//! across the partition's fetch restarts and seeks, and drops what a revoked partition had
//! fetched, as on the consumer's queue.

use std::ffi::{c_void, CStr, CString};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt;
use rdkafka::consumer::{Consumer, ConsumerContext, MessageStream, StreamConsumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, Timestamp};
use rdkafka::TopicPartitionList;
use rdkafka_sys as rdsys;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::DropOffRuntime;

/// A librdkafka queue handle. librdkafka's queues may be used from any thread.
#[derive(Clone, Copy)]
struct QueuePtr(NonNull<rdsys::rd_kafka_queue_t>);

// SAFETY: librdkafka's queue functions lock the queue themselves.
unsafe impl Send for QueuePtr {}
// SAFETY: as above.
unsafe impl Sync for QueuePtr {}

/// Where a consumer's partitions are routed when they are assigned: shared by the consumer's
/// context, which routes in `pre_rebalance`, and the [`FetchQueue`] it names while that lives.
#[derive(Default)]
pub struct FetchRoute {
    target: Mutex<Option<QueuePtr>>,
}

impl std::fmt::Debug for FetchRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchRoute").finish_non_exhaustive()
    }
}

impl FetchRoute {
    /// Routes the fetched messages of `partitions` to the attached [`FetchQueue`], if any; for
    /// a consumer context's `pre_rebalance`, before librdkafka assigns them.
    pub fn route<C: ConsumerContext>(&self, consumer: &impl Consumer<C>, partitions: &TopicPartitionList) {
        let target = self.target.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(target) = *target {
            // The lock is held while routing: the queue cannot be destroyed meanwhile.
            forward(consumer.client().native_ptr(), target, partitions);
        }
    }

    fn attach(&self, queue: Option<QueuePtr>) {
        *self.target.lock().unwrap_or_else(PoisonError::into_inner) = queue;
    }
}

/// Forwards each partition's fetch queue to `target`.
fn forward(client: *mut rdsys::rd_kafka_t, target: QueuePtr, partitions: &TopicPartitionList) {
    for element in partitions.elements() {
        let Ok(topic) = CString::new(element.topic()) else {
            continue;
        };
        // SAFETY: `client` is a live consumer and `target` a live queue of it; the partition's
        // queue handle is released at once (the route belongs to the partition, not the handle).
        unsafe {
            let partition = rdsys::rd_kafka_queue_get_partition(client, topic.as_ptr(), element.partition());
            if partition.is_null() {
                continue;
            }
            rdsys::rd_kafka_queue_forward(partition, target.0.as_ptr());
            rdsys::rd_kafka_queue_destroy(partition);
        }
    }
}

/// Called by librdkafka, under the queue's lock, when the queue turns from empty to not empty.
unsafe extern "C" fn wake(_client: *mut rdsys::rd_kafka_t, notify: *mut c_void) {
    // SAFETY: `notify` is the `Notify` of a live FetchQueue: its drop disables this callback
    // (under the same lock) before it lets the `Notify` go.
    let notify = unsafe { &*(notify as *const Notify) };
    notify.notify_one();
}

/// The queue a consumer's assigned partitions deliver their messages to, read a batch at a time.
pub struct FetchQueue {
    queue: QueuePtr,
    client: ClientPtr,
    notify: Arc<Notify>,
    route: Arc<FetchRoute>,
    /// The consumer outlives its queue and every message read from it.
    _consumer: Arc<dyn Send + Sync>,
}

/// A consumer's librdkafka handle.
#[derive(Clone, Copy)]
struct ClientPtr(NonNull<rdsys::rd_kafka_t>);

// SAFETY: librdkafka's client functions may be called from any thread.
unsafe impl Send for ClientPtr {}
// SAFETY: as above.
unsafe impl Sync for ClientPtr {}

impl FetchQueue {
    /// A new queue of `consumer`, which `route` names from now on.
    pub fn new<C: ConsumerContext + 'static>(
        consumer: Arc<DropOffRuntime<StreamConsumer<C>>>,
        route: Arc<FetchRoute>,
    ) -> Result<Self, KafkaError> {
        let client = NonNull::new(consumer.client().native_ptr())
            .ok_or_else(|| KafkaError::ClientCreation("the consumer has no librdkafka client".into()))?;
        // SAFETY: `client` is a live consumer; the queue is destroyed in `drop`, before the
        // consumer (held in `_consumer`) can go.
        let queue = NonNull::new(unsafe { rdsys::rd_kafka_queue_new(client.as_ptr()) })
            .ok_or_else(|| KafkaError::ClientCreation("librdkafka did not create a queue".into()))?;
        let notify = Arc::new(Notify::new());
        // SAFETY: the callback's `Notify` lives as long as `self`, whose drop disables it.
        unsafe {
            rdsys::rd_kafka_queue_cb_event_enable(queue.as_ptr(), Some(wake), Arc::as_ptr(&notify) as *mut c_void);
        }
        let queue = QueuePtr(queue);
        route.attach(Some(queue));
        Ok(FetchQueue {
            queue,
            client: ClientPtr(client),
            notify,
            route,
            _consumer: consumer,
        })
    }

    /// Routes the fetched messages of `partitions` here; before they are assigned.
    pub fn route(&self, partitions: &TopicPartitionList) {
        forward(self.client.0.as_ptr(), self.queue, partitions);
    }

    /// Takes up to `max` messages fetched so far, without waiting.
    pub fn read(&self, max: usize) -> Fetched<'_> {
        let mut messages: Vec<MessagePtr> = Vec::with_capacity(max);
        // SAFETY: the array has room for `max` pointers (`MessagePtr` is a transparent
        // wrapper); librdkafka writes `read` of them.
        let read = unsafe {
            rdsys::rd_kafka_consume_batch_queue(
                self.queue.0.as_ptr(),
                0,
                messages.as_mut_ptr() as *mut *mut rdsys::rd_kafka_message_t,
                max,
            )
        };
        // SAFETY: as above; a negative count is an error and no message.
        unsafe { messages.set_len(usize::try_from(read).unwrap_or(0)) };
        Fetched {
            messages,
            _queue: PhantomData,
        }
    }

    /// Takes up to `max` fetched messages, waiting until `deadline` for the first, while
    /// `events` (the consumer's own stream) serves rebalances and commit results; returns
    /// early with what that stream gives.
    pub async fn next<'s, C: ConsumerContext>(
        &self,
        max: usize,
        events: &mut MessageStream<'s, C>,
        deadline: Instant,
    ) -> Arrival<'_, 's> {
        loop {
            let fetched = self.read(max);
            if !fetched.is_empty() {
                return Arrival::Messages(fetched);
            }
            // librdkafka calls back when the queue turns from empty to not empty; a call since
            // the read above left a permit, so none is missed.
            tokio::select! {
                () = self.notify.notified() => {}
                event = events.next() => return event.map_or(Arrival::Nothing, Arrival::Event),
                () = tokio::time::sleep_until(deadline) => return Arrival::Nothing,
            }
        }
    }
}

/// What waiting on a [`FetchQueue`] gave.
pub enum Arrival<'q, 's> {
    /// Fetched messages.
    Messages(Fetched<'q>),
    /// What the consumer's own queue gave: an error, or a message of a partition that was
    /// assigned before being routed.
    Event(KafkaResult<BorrowedMessage<'s>>),
    /// Nothing before the deadline.
    Nothing,
}

impl Drop for FetchQueue {
    fn drop(&mut self) {
        self.route.attach(None);
        // SAFETY: disabling the callback takes the queue's lock, so no call is under way after
        // it; destroying the queue drops what is still on it, and routed partitions then drop
        // what they fetch until the consumer is closed.
        unsafe {
            rdsys::rd_kafka_queue_cb_event_enable(self.queue.0.as_ptr(), None, std::ptr::null_mut());
            rdsys::rd_kafka_queue_destroy(self.queue.0.as_ptr());
        }
    }
}

/// Messages taken from a [`FetchQueue`] by one read; they are freed with it.
pub struct Fetched<'q> {
    messages: Vec<MessagePtr>,
    _queue: PhantomData<&'q FetchQueue>,
}

/// A message librdkafka handed over.
#[repr(transparent)]
struct MessagePtr(*mut rdsys::rd_kafka_message_t);

// SAFETY: librdkafka's messages may be read and freed on any thread.
unsafe impl Send for MessagePtr {}
// SAFETY: reading a message does not change it.
unsafe impl Sync for MessagePtr {}

impl Fetched<'_> {
    /// How many messages (and errors) were read.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the read found nothing.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The messages in the order fetched; a consumer error (the end of a partition, an offset
    /// out of range) in place of a message.
    pub fn iter(&self) -> impl Iterator<Item = KafkaResult<FetchedMessage<'_>>> {
        self.messages.iter().map(|message| {
            // SAFETY: the message is live until `self` is dropped.
            let message = unsafe { &*message.0 };
            match message.err {
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => Ok(FetchedMessage { message }),
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF => {
                    Err(KafkaError::PartitionEOF(message.partition))
                }
                code => Err(KafkaError::MessageConsumption(code.into())),
            }
        })
    }
}

impl Drop for Fetched<'_> {
    fn drop(&mut self) {
        for message in &self.messages {
            // SAFETY: each message was handed over by librdkafka once and is freed once.
            unsafe { rdsys::rd_kafka_message_destroy(message.0) };
        }
    }
}

/// One message of a [`Fetched`] batch.
pub struct FetchedMessage<'a> {
    message: &'a rdsys::rd_kafka_message_t,
}

/// Which librdkafka topic handle a [`FetchedMessage`] holds. Each message holds its handle
/// until it is freed, so the messages of one [`Fetched`] batch have equal handles exactly when
/// they are of the same topic; across batches, a handle freed may be reused for another topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicHandle(usize);

impl FetchedMessage<'_> {
    /// The topic handle the message holds: comparing it with another message's of the same
    /// batch tells whether they are of the same topic without reading its name (a C string
    /// measured and checked as UTF-8 at every [`Message::topic`]).
    pub fn topic_handle(&self) -> TopicHandle {
        TopicHandle(self.message.rkt as usize)
    }
}

// SAFETY: see `Fetched`.
unsafe impl Send for FetchedMessage<'_> {}
// SAFETY: see `Fetched`.
unsafe impl Sync for FetchedMessage<'_> {}

/// A byte slice librdkafka lends, or `None` for a null pointer.
///
/// SAFETY: `data` points at `len` bytes that live as long as `'a`, or is null.
unsafe fn slice<'a>(data: *const c_void, len: usize) -> Option<&'a [u8]> {
    if data.is_null() {
        None
    } else if len == 0 {
        Some(&[])
    } else {
        // SAFETY: as the caller promises.
        Some(unsafe { std::slice::from_raw_parts(data as *const u8, len) })
    }
}

impl Message for FetchedMessage<'_> {
    type Headers = FetchedHeaders;

    fn key(&self) -> Option<&[u8]> {
        // SAFETY: the key lives as long as the message.
        unsafe { slice(self.message.key, self.message.key_len) }
    }

    fn payload(&self) -> Option<&[u8]> {
        // SAFETY: the payload lives as long as the message.
        unsafe { slice(self.message.payload, self.message.len) }
    }

    unsafe fn payload_mut(&mut self) -> Option<&mut [u8]> {
        // A batch's messages are read only.
        None
    }

    fn topic(&self) -> &str {
        // SAFETY: the message holds its topic handle, whose name is a NUL-terminated string.
        let name = unsafe { CStr::from_ptr(rdsys::rd_kafka_topic_name(self.message.rkt)) };
        // Kafka topic names are ASCII.
        name.to_str().unwrap_or_default()
    }

    fn partition(&self) -> i32 {
        self.message.partition
    }

    fn offset(&self) -> i64 {
        self.message.offset
    }

    fn timestamp(&self) -> Timestamp {
        let mut kind = rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: a live message and a local out-pointer.
        let at = unsafe { rdsys::rd_kafka_message_timestamp(self.message, &mut kind) };
        match kind {
            _ if at == -1 => Timestamp::NotAvailable,
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_CREATE_TIME => Timestamp::CreateTime(at),
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME => Timestamp::LogAppendTime(at),
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE => Timestamp::NotAvailable,
        }
    }

    fn headers(&self) -> Option<&FetchedHeaders> {
        let mut headers = std::ptr::null_mut();
        // SAFETY: a live message and a local out-pointer; librdkafka parses the headers into
        // the message, which owns them.
        let code = unsafe { rdsys::rd_kafka_message_headers(self.message, &mut headers) };
        if code != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || headers.is_null() {
            return None;
        }
        // SAFETY: `FetchedHeaders` is a transparent wrapper of librdkafka's opaque headers type.
        Some(unsafe { &*(headers as *const FetchedHeaders) })
    }
}

/// A fetched message's headers, as librdkafka holds them.
#[repr(transparent)]
pub struct FetchedHeaders(rdsys::rd_kafka_headers_t);

impl Headers for FetchedHeaders {
    fn count(&self) -> usize {
        // SAFETY: `self` is a live headers list.
        unsafe { rdsys::rd_kafka_header_cnt(&self.0) }
    }

    fn try_get(&self, idx: usize) -> Option<Header<'_, &[u8]>> {
        let (mut name, mut value, mut size) = (std::ptr::null(), std::ptr::null(), 0);
        // SAFETY: a live headers list and local out-pointers.
        let code = unsafe { rdsys::rd_kafka_header_get_all(&self.0, idx, &mut name, &mut value, &mut size) };
        if code != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
            return None;
        }
        // SAFETY: the name is a NUL-terminated string and the value `size` bytes, both owned by
        // the list.
        // Java's clients write keys as UTF-8; other bytes read as an empty key rather than end
        // the list there.
        let key = unsafe { CStr::from_ptr(name) }.to_str().unwrap_or_default();
        Some(Header {
            key,
            // SAFETY: as above.
            value: unsafe { slice(value, size) },
        })
    }
}
