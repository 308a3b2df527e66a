//! The sink consumer's librdkafka context: client errors kept as every client keeps them, and
//! the task's pause carried into rebalances.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;

use crate::client::{ErrorCapture, FetchRoute};

/// The context of a sink task's consumer. While the task is paused, the partitions a rebalance
/// assigns are paused as soon as they are assigned (as Apache's `WorkerSinkTask` does), so
/// that a paused task fetches nothing it could not deliver. The partitions a rebalance assigns
/// deliver to the task's fetch queue, routed before librdkafka assigns them.
#[derive(Debug, Default)]
pub(super) struct SinkConsumerContext {
    errors: ErrorCapture,
    paused: AtomicBool,
    route: Arc<FetchRoute>,
}

impl SinkConsumerContext {
    /// The last authentication or TLS error, if any.
    pub(super) fn fatal_error(&self) -> Option<String> {
        self.errors.fatal_error()
    }

    /// Notes whether the task is paused, for the partitions assigned from now on.
    pub(super) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Release);
    }

    /// Where assigned partitions deliver their messages.
    pub(super) fn route(&self) -> Arc<FetchRoute> {
        self.route.clone()
    }
}

impl ClientContext for SinkConsumerContext {
    fn error(&self, error: KafkaError, reason: &str) {
        self.errors.error(error, reason);
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            self.route.route(consumer, partitions);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            if self.paused.load(Ordering::Acquire) {
                if let Err(e) = consumer.pause(partitions) {
                    tracing::warn!("cannot pause the partitions assigned to a paused sink task: {e}");
                }
            }
        }
    }
}
