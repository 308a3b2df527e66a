//! What happens to a record that fails conversion or transformation, or that a sink task
//! reports it cannot write: Apache's `errors.tolerance`, `errors.log.enable`,
//! `errors.log.include.messages` and (sinks) `errors.deadletterqueue.*`, with the same
//! `__connect.errors.*` context headers.

use std::fmt::Display;
use std::time::Duration;

use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::config::{
    DEAD_LETTER_QUEUE_CONTEXT_HEADERS, DEAD_LETTER_QUEUE_TOPIC, ERRORS_LOG_ENABLE, ERRORS_LOG_INCLUDE_MESSAGES,
    ERRORS_TOLERANCE,
};
use crate::client::DropOffRuntime;
use crate::config::ParsedConfig;
use crate::connector::ConnectError;
use crate::metrics::Metrics;

/// Where in the pipeline a record failed (Apache's `Stage` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The key converter.
    KeyConverter,
    /// The value converter.
    ValueConverter,
    /// The header converter.
    HeaderConverter,
    /// A transformation.
    Transformation,
    /// A sink task's `put`, which reported the record (see [`crate::connector::ErrantRecordReporter`]).
    TaskPut,
    /// A source task's producer, which refused the record.
    KafkaProduce,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
        }
    }

    /// The Java classes Apache's context headers name: the one that failed and its error's.
    fn classes(self) -> (&'static str, &'static str) {
        match self {
            Stage::TaskPut => (
                "org.apache.kafka.connect.sink.SinkTask",
                "org.apache.kafka.connect.errors.ConnectException",
            ),
            _ => (
                "io.tributary.connect.runtime",
                "org.apache.kafka.connect.errors.DataException",
            ),
        }
    }
}

/// A consumed record as it was read, for the dead letter queue.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// Topic read from.
    pub topic: &'a str,
    /// Partition read from.
    pub partition: i32,
    /// Offset read at.
    pub offset: i64,
    /// Its timestamp, if it has one (the dead letter queue's record keeps it, as Apache's).
    pub timestamp: Option<i64>,
    /// Key bytes.
    pub key: Option<&'a [u8]>,
    /// Value bytes.
    pub value: Option<&'a [u8]>,
    /// Headers.
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// The headers of `message`, owned, for a [`RawRecord`].
pub(super) fn message_headers(message: &impl Message) -> Vec<(String, Option<Vec<u8>>)> {
    message
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default()
}

struct DeadLetterQueue {
    producer: DropOffRuntime<FutureProducer>,
    topic: String,
    context_headers: bool,
}

/// A task's policy for bad records.
pub struct ErrorHandler {
    connector: String,
    task: u32,
    /// `task` as a metric label.
    task_label: String,
    tolerate_all: bool,
    log: bool,
    log_messages: bool,
    dlq: Option<DeadLetterQueue>,
}

impl ErrorHandler {
    /// The policy `config` sets; `dlq_producer` is used when it names a dead letter queue.
    pub fn new(connector: &str, task: u32, config: &ParsedConfig, dlq_producer: Option<FutureProducer>) -> Self {
        let topic = config.value(&DEAD_LETTER_QUEUE_TOPIC);
        let dlq = match (topic.trim().is_empty(), dlq_producer) {
            (false, Some(producer)) => Some(DeadLetterQueue {
                producer: DropOffRuntime::new(producer),
                topic: topic.trim().to_string(),
                context_headers: config.value(&DEAD_LETTER_QUEUE_CONTEXT_HEADERS),
            }),
            _ => None,
        };
        ErrorHandler {
            connector: connector.to_string(),
            task,
            task_label: task.to_string(),
            tolerate_all: config.value(&ERRORS_TOLERANCE).trim().eq_ignore_ascii_case("all"),
            log: config.value(&ERRORS_LOG_ENABLE),
            log_messages: config.value(&ERRORS_LOG_INCLUDE_MESSAGES),
            dlq,
        }
    }

    /// Deals with a record that failed at `stage`: `Ok` to skip it, `Err` to fail the task.
    pub async fn handle(
        &self,
        stage: Stage,
        error: &(dyn Display + Sync),
        raw: Option<RawRecord<'_>>,
    ) -> Result<(), ConnectError> {
        if self.log || !self.tolerate_all {
            let position = raw
                .map(|r| format!("{}-{}@{}", r.topic, r.partition, r.offset))
                .unwrap_or_default();
            if self.log_messages {
                let value = raw
                    .and_then(|r| r.value)
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                tracing::error!(connector = %self.connector, task = self.task, stage = stage.name(), %position, %value, "error processing record: {error}");
            } else {
                tracing::error!(connector = %self.connector, task = self.task, stage = stage.name(), %position, "error processing record: {error}");
            }
        }
        let metrics = Metrics::global();
        let labels = [self.connector.as_str(), self.task_label.as_str(), stage.name()];
        metrics.records_failed.with_label_values(&labels).inc();
        let exceeded = || {
            ConnectError::Fatal(format!(
                "Tolerance exceeded in error handler: {} stage failed: {error}",
                stage.name()
            ))
        };
        // As Apache's: a record a task reports is written to the dead letter queue even when
        // the task then fails; one a converter or transform refused is not.
        if !self.tolerate_all && stage != Stage::TaskPut {
            return Err(exceeded());
        }
        if let (Some(dlq), Some(raw)) = (&self.dlq, raw) {
            self.send_to_dlq(dlq, stage, error, raw).await?;
        }
        if !self.tolerate_all {
            return Err(exceeded());
        }
        metrics.records_skipped.with_label_values(&labels).inc();
        Ok(())
    }

    /// Whether a sink task gets an errant record reporter: with a dead letter queue or
    /// `errors.log.enable`, as Apache's `SinkConnectorConfig.enableErrantRecordReporter`.
    pub fn reports_errant_records(&self) -> bool {
        self.dlq.is_some() || self.log
    }

    /// Whether a failed record's bytes are used: by the dead letter queue, or logged.
    pub fn wants_record_bytes(&self) -> bool {
        self.dlq.is_some() || (self.log && self.log_messages)
    }

    async fn send_to_dlq(
        &self,
        dlq: &DeadLetterQueue,
        stage: Stage,
        error: &(dyn Display + Sync),
        raw: RawRecord<'_>,
    ) -> Result<(), ConnectError> {
        let mut headers = OwnedHeaders::new();
        for (key, value) in raw.headers {
            headers = headers.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        if dlq.context_headers {
            let partition = raw.partition.to_string();
            let offset = raw.offset.to_string();
            let task = self.task.to_string();
            let message = error.to_string();
            let (class, exception_class) = stage.classes();
            let context = [
                ("__connect.errors.topic", raw.topic),
                ("__connect.errors.partition", partition.as_str()),
                ("__connect.errors.offset", offset.as_str()),
                ("__connect.errors.connector.name", self.connector.as_str()),
                ("__connect.errors.task.id", task.as_str()),
                ("__connect.errors.stage", stage.name()),
                ("__connect.errors.class.name", class),
                ("__connect.errors.exception.class.name", exception_class),
                ("__connect.errors.exception.message", message.as_str()),
                ("__connect.errors.exception.stacktrace", message.as_str()),
            ];
            for (key, value) in context {
                headers = headers.insert(Header {
                    key,
                    value: Some(value),
                });
            }
        }
        let mut record = FutureRecord::to(&dlq.topic).headers(headers);
        if let Some(timestamp) = raw.timestamp {
            record = record.timestamp(timestamp);
        }
        if let Some(key) = raw.key {
            record = record.key(key);
        }
        if let Some(value) = raw.value {
            record = record.payload(value);
        }
        dlq.producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| {
                ConnectError::caused(format!("could not write to dead letter queue topic {}", dlq.topic), e)
            })?;
        Metrics::global()
            .dlq_records
            .with_label_values(&[self.connector.as_str(), self.task_label.as_str()])
            .inc();
        Ok(())
    }
}
