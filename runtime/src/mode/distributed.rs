//! Distributed mode assembled: internal topics checked or created, the config, offset and status
//! stores read from Kafka, the worker, the distributed herder (group membership) and the REST
//! API with forwarding. Nothing is written to Kafka before every check has passed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::client::ClientKind;
use crate::config::ConfigMap;
use crate::error_chain::with_causes;
use crate::herder::{DistributedHerder, DistributedSettings};
use crate::mode::startup::{self, StartError};
use crate::rest::{AppState, ApplyLogFilter, BoundListener, Loggers, RestServer};
use crate::storage::{
    ensure_internal_topics, ConfigLog, ConnectorOffsetTopics, KafkaLog, KafkaOffsetStore, LogRecord, StatusRecord,
    StatusStore,
};
use crate::worker::{ExactlyOnceSource, Worker, WorkerConfig};

/// A running worker of a distributed cluster.
pub struct DistributedRuntime {
    herder: DistributedHerder,
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
    member: JoinHandle<Result<(), String>>,
    server: RestServer,
    status_writer: JoinHandle<()>,
}

enum StatusMessage {
    Record(StatusRecord),
    Flush(oneshot::Sender<()>),
}

fn client(config: &WorkerConfig, kind: ClientKind) -> Result<ClientConfig, StartError> {
    config
        .client(kind)
        .map(|settings| settings.client_config())
        .map_err(|errors| StartError::Config(crate::client::describe(&errors)))
}

impl DistributedRuntime {
    /// Starts a worker from its (unresolved) config.
    pub async fn start(raw: ConfigMap, apply_log: Option<ApplyLogFilter>) -> Result<Self, StartError> {
        let mut config = startup::resolve_worker_config(&raw)?;
        let settings =
            DistributedSettings::from_worker(&config).map_err(|problems| StartError::Config(problems.join("; ")))?;
        startup::check_kafka(&config).await?;
        ensure_internal_topics(
            client(&config, ClientKind::Admin)?,
            &[
                settings.config_topic.clone(),
                settings.offset_topic.clone(),
                settings.status_topic.clone(),
            ],
        )
        .await?;
        let rest = crate::rest::bind(&mut config).await?;
        let address = rest.address();

        let offsets = Arc::new(KafkaOffsetStore::start(
            &settings.offset_topic.name,
            client(&config, ClientKind::Consumer)?,
            client(&config, ClientKind::Producer)?,
        )?);
        let statuses = Arc::new(StatusStore::default());
        let reader = statuses.clone();
        let status_log = Arc::new(KafkaLog::start(
            &settings.status_topic.name,
            client(&config, ClientKind::Consumer)?,
            client(&config, ClientKind::Producer)?,
            Box::new(move |record: LogRecord<'_>| {
                if let Some(key) = record.key.and_then(|k| std::str::from_utf8(k).ok()) {
                    reader.apply_record(key, record.value);
                }
            }),
        )?);
        let config_log = Arc::new(ConfigLog::start(
            &settings.config_topic.name,
            client(&config, ClientKind::Consumer)?,
            client(&config, ClientKind::Producer)?,
        )?);
        let (read_configs, read_offsets, read_statuses) = tokio::join!(
            config_log.read_to_end(),
            offsets.read_to_end(),
            status_log.read_to_end()
        );
        read_configs.and(read_offsets).and(read_statuses)?;

        let (status_tx, status_rx) = mpsc::unbounded_channel();
        let publisher = status_tx.clone();
        statuses.publish_to(Box::new(move |record| {
            publisher.send(StatusMessage::Record(record)).ok();
        }));
        let status_writer = tokio::spawn(write_statuses(status_log, status_rx));
        let flush: Box<dyn Fn() -> oneshot::Receiver<()> + Send + Sync> = Box::new(move || {
            let (done, flushed) = oneshot::channel();
            status_tx.send(StatusMessage::Flush(done)).ok();
            flushed
        });

        let url = config.rest_advertised_url();
        let mut worker = Worker::new(config, offsets.clone(), statuses)
            .map_err(|e| StartError::Config(e.to_string()))?
            .with_connector_offset_topics(ConnectorOffsetTopics::new(settings.offset_topic.clone()));
        if worker.config().exactly_once_source() {
            worker = worker.with_exactly_once_source(ExactlyOnceSource {
                group: settings.group_id.clone(),
                offsets_topic: settings.offset_topic.name.clone(),
            });
        }
        let herder = DistributedHerder::new(worker, config_log, offsets, settings, url, rest.client(), flush);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let member = {
            let herder = herder.clone();
            tokio::spawn(async move { herder.run(shutdown_rx).await })
        };
        let topic_tracking = herder.worker().config().topic_tracking();
        let state = AppState {
            herder: Arc::new(herder.clone()),
            loggers: Arc::new(Loggers::new("INFO", apply_log)),
            topic_tracking,
        };
        let server = rest.serve(state);
        tracing::info!(%address, "REST API listening");
        Ok(DistributedRuntime {
            herder,
            address,
            shutdown,
            member,
            server,
            status_writer,
        })
    }

    /// Where the REST API listens (its advertised listener).
    pub fn rest_address(&self) -> SocketAddr {
        self.address
    }

    /// Every REST listener, public and admin.
    pub fn rest_listeners(&self) -> &[BoundListener] {
        self.server.listeners()
    }

    /// The herder, for in-process use.
    pub fn herder(&self) -> &DistributedHerder {
        &self.herder
    }

    /// Waits until the worker fails (it cannot stay in the group) and returns why; returns `Ok`
    /// only after a shutdown.
    pub async fn failed(&mut self) -> Result<(), String> {
        match (&mut self.member).await {
            Ok(result) => result,
            Err(e) => Err(format!("the herder stopped: {e}")),
        }
    }

    /// Stops every task (flushing and committing), leaves the group, then stops the REST API.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if !self.member.is_finished()
            && tokio::time::timeout(Duration::from_secs(60), &mut self.member)
                .await
                .is_err()
        {
            tracing::warn!("the group member did not stop within 60 s; stopping the REST API anyway");
        }
        self.server.shutdown().await;
        self.status_writer.abort();
    }
}

/// Writes status records in order, batching what has queued up; answers flushes once everything
/// before them is acknowledged.
async fn write_statuses(log: Arc<KafkaLog>, mut incoming: mpsc::UnboundedReceiver<StatusMessage>) {
    let mut buffer = Vec::new();
    while incoming.recv_many(&mut buffer, 512).await > 0 {
        let mut records = Vec::new();
        let mut flushes = Vec::new();
        for message in buffer.drain(..) {
            match message {
                StatusMessage::Record(record) => records.push((record.key.into_bytes(), record.value)),
                StatusMessage::Flush(done) => flushes.push(done),
            }
        }
        if !records.is_empty() {
            if let Err(e) = log.send_all(&records).await {
                tracing::warn!("cannot write statuses: {}", with_causes(&e));
            }
        }
        for done in flushes {
            done.send(()).ok();
        }
    }
}
