//! The `tributary` command line: parse arguments, build the engine, run it until Ctrl-C.

mod allocator;
mod ctl;
mod dev;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter};
use tributary_runtime::config::{read_properties_file, ConfigMap};
use tributary_runtime::mode::distributed::DistributedRuntime;
use tributary_runtime::mode::standalone::StandaloneRuntime;
use tributary_runtime::rest::ApplyLogFilter;
use tributary_runtime::worker::WorkerConfig;

/// Kafka Connect and MirrorMaker 2, rebuilt in Rust.
#[derive(Parser)]
#[command(name = "tributary", version, about, long_about = None)]
struct Cli {
    /// How log lines are written: `text` for people, `json` (one object per line) for log
    /// collectors. Levels come from RUST_LOG (default `info`).
    #[arg(long, global = true, env = "TRIBUTARY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The format of log lines.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// A JSON object per line (timestamp, level, target, fields, message).
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run one worker with its connectors; offsets in a local file.
    ///
    /// Takes the same files as Apache Kafka's connect-standalone.sh: a worker config and
    /// connector configs (.properties, .json as `{"name", "config"}`, or YAML: the same or a
    /// Strimzi KafkaConnector).
    Standalone {
        /// Worker config, e.g. config/connect-standalone.properties.
        worker: PathBuf,
        /// Connector configs, e.g. config/connect-file-source.properties.
        connectors: Vec<PathBuf>,
    },
    /// Run a worker of a distributed Connect cluster.
    ///
    /// Takes the same file as Apache Kafka's connect-distributed.sh: workers with the same
    /// group.id form a cluster and keep configs, offsets and statuses in Kafka topics.
    Distributed {
        /// Worker config, e.g. config/connect-distributed.properties.
        worker: PathBuf,
    },
    /// Run MirrorMaker 2 flows from a connect-mirror-maker.properties file (dedicated mode).
    ///
    /// Takes the same file as Apache Kafka's connect-mirror-maker.sh: every enabled A->B flow
    /// runs its source, checkpoint and heartbeat connectors; processes on the same file share
    /// the work.
    Mirror {
        /// Mirror config, e.g. config/connect-mirror-maker.properties.
        config: PathBuf,
    },
    /// Start a local single-node Kafka, a worker with its REST API on 127.0.0.1:8083 and a
    /// demo pipeline; Ctrl-C stops everything.
    Dev {
        /// REST port.
        #[arg(long, default_value_t = 8083)]
        port: u16,
    },
    /// Run worker clusters and manage connectors from Kubernetes resources.
    ///
    /// Keeps each TributaryConnect's workers (Deployment, Service, ConfigMap, …) as it says,
    /// and watches `kafka.strimzi.io` KafkaConnectors (v1 or v1beta2), keeping each connector
    /// on the worker cluster its `strimzi.io/cluster` label names as the resource says, through
    /// the cluster's REST API. Reaches the API server from KUBECONFIG or, in a pod, its
    /// service account.
    Operator(OperatorArgs),
    /// Manage connectors on a running worker (Tributary's or Apache's) through its REST API.
    Ctl(ctl::CtlArgs),
    /// Print a shell completion script, e.g. `source <(tributary completion bash)`.
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the version.
    Version,
}

/// Sets up logging (`RUST_LOG`, default `info`) in `format`, with a filter the REST API can
/// change.
fn init_logging(format: LogFormat) -> ApplyLogFilter {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, handle) = reload::Layer::new(filter);
    let lines = tracing_subscriber::fmt::layer().with_target(true);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry
            .with(lines.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())))
            .init(),
        LogFormat::Json => registry.with(lines.json().flatten_event(true)).init(),
    }
    Arc::new(move |directive: &str| {
        let filter = EnvFilter::try_new(directive).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())
    })
}

/// Waits for Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// What a shutdown may take beyond `task.shutdown.graceful.timeout.ms` (leaving the group, the
/// last status and offset writes, closing clients, the REST API) before the process exits
/// anyway: a worker whose Kafka is gone must still stop.
const SHUTDOWN_MARGIN: Duration = Duration::from_secs(20);

/// Runs `shutdown`, but exits the process if it has not finished within the worker's
/// `task.shutdown.graceful.timeout.ms` plus [`SHUTDOWN_MARGIN`].
async fn bounded(config: &ConfigMap, shutdown: impl std::future::Future<Output = ()>) {
    let bound = WorkerConfig::new(config.clone()).task_shutdown_timeout() + SHUTDOWN_MARGIN;
    if tokio::time::timeout(bound, shutdown).await.is_err() {
        tracing::error!("the shutdown did not finish within {bound:?}; exiting without it");
        std::process::exit(1);
    }
}

async fn standalone(worker: PathBuf, connectors: Vec<PathBuf>, apply_log: ApplyLogFilter) -> anyhow::Result<()> {
    let config = read_properties_file(&worker).with_context(|| format!("reading {}", worker.display()))?;
    let runtime = StandaloneRuntime::start(config.clone(), Some(apply_log)).await?;
    for file in &connectors {
        if let Err(e) = runtime.add_connector_file(file).await {
            runtime.shutdown().await;
            return Err(e.into());
        }
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    bounded(&config, runtime.shutdown()).await;
    Ok(())
}

async fn distributed(worker: PathBuf, apply_log: ApplyLogFilter) -> anyhow::Result<()> {
    let config = read_properties_file(&worker).with_context(|| format!("reading {}", worker.display()))?;
    let mut runtime = DistributedRuntime::start(config.clone(), Some(apply_log)).await?;
    let outcome = wait_for_stop(runtime.failed()).await;
    bounded(&config, runtime.shutdown()).await;
    outcome
}

/// Waits for Ctrl-C or SIGTERM, or for `failed` to report why the process cannot go on.
async fn wait_for_stop(failed: impl std::future::Future<Output = Result<(), String>>) -> anyhow::Result<()> {
    let failure = tokio::select! {
        _ = shutdown_signal() => None,
        result = failed => Some(result),
    };
    tracing::info!("shutting down");
    match failure {
        Some(Err(reason)) => Err(anyhow::anyhow!(reason)),
        _ => Ok(()),
    }
}

async fn mirror(file: PathBuf, apply_log: ApplyLogFilter) -> anyhow::Result<()> {
    let config = read_properties_file(&file).with_context(|| format!("reading {}", file.display()))?;
    let mut mirror = tributary_mirror::dedicated::DedicatedMirror::start(&config, Some(apply_log)).await?;
    let outcome = wait_for_stop(mirror.failed()).await;
    bounded(&config, mirror.shutdown()).await;
    outcome
}

/// The settings of `tributary operator`.
#[derive(clap::Args)]
struct OperatorArgs {
    /// The namespace to watch (every namespace when absent).
    #[arg(long)]
    namespace: Option<String>,
    /// Only resources matching this label selector, e.g. `strimzi.io/cluster in (a,b)`
    /// (to leave the others to another operator).
    #[arg(long)]
    selector: Option<String>,
    /// A worker cluster's REST URL, `NAME=URL` or `NAMESPACE/NAME=URL` (repeatable);
    /// others are reached at the URL template.
    #[arg(long = "connect-cluster", value_name = "NAME=URL")]
    connect_clusters: Vec<String>,
    /// The URL of a worker cluster's REST API, `{cluster}` and `{namespace}` filled in.
    #[arg(long, default_value = tributary_operator::clusters::DEFAULT_URL_TEMPLATE)]
    connect_url_template: String,
    /// Every resource is reconciled at least this often (Strimzi's full reconciliation
    /// interval).
    #[arg(long, default_value_t = 120_000)]
    full_reconciliation_interval_ms: u64,
    /// The auto-restart back-off unit: restarts follow after n²+n units (a minute, as
    /// Strimzi's).
    #[arg(long, default_value_t = 60_000)]
    auto_restart_backoff_unit_ms: u64,
    /// A cluster whose connectors are managed only through KafkaConnectors,
    /// `NAMESPACE/CLUSTER` (repeatable): connectors no resource backs are deleted, as
    /// Strimzi does for a KafkaConnect with `strimzi.io/use-connector-resources: "true"`.
    #[arg(long = "delete-unmanaged-connectors", value_name = "NAMESPACE/CLUSTER")]
    resources_only: Vec<String>,
    /// The worker image of a TributaryConnect whose spec names none.
    #[arg(long, default_value = concat!("tributary:", env!("CARGO_PKG_VERSION")))]
    worker_image: String,
    /// Reconcile only KafkaConnectors whose `strimzi.io/cluster` names a TributaryConnect,
    /// leaving the others to Strimzi's operator where both watch a namespace.
    #[arg(long)]
    tributary_clusters_only: bool,
    /// Print the TributaryConnect CRD (YAML) and exit.
    #[arg(long)]
    print_crd: bool,
}

async fn operator(args: OperatorArgs) -> anyhow::Result<()> {
    let mut clusters = tributary_operator::ClusterUrls::with_template(&args.connect_url_template);
    for entry in &args.connect_clusters {
        clusters
            .parse_entry(entry)
            .map_err(|e| anyhow::anyhow!("--connect-cluster: {e}"))?;
    }
    let settings = tributary_operator::OperatorSettings {
        namespace: args.namespace,
        selector: args.selector,
        clusters,
        resync: Duration::from_millis(args.full_reconciliation_interval_ms),
        auto_restart_unit: Duration::from_millis(args.auto_restart_backoff_unit_ms),
        resources_only: args
            .resources_only
            .iter()
            .map(|entry| {
                entry
                    .split_once('/')
                    .map(|(namespace, cluster)| (namespace.to_string(), cluster.to_string()))
                    .ok_or_else(|| anyhow::anyhow!("--delete-unmanaged-connectors: '{entry}' is not NAMESPACE/CLUSTER"))
            })
            .collect::<anyhow::Result<_>>()?,
        default_image: args.worker_image,
        tributary_clusters_only: args.tributary_clusters_only,
    };
    let client = tributary_operator::kube_client()
        .await
        .context("reaching the Kubernetes API server")?;
    tributary_operator::run(client, settings, shutdown_signal()).await?;
    tracing::info!("operator stopped");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tributary_connectors::link();
    tributary_mirror::link();
    let result = match cli.command {
        Command::Ctl(args) => return ctl::run(args),
        Command::Completion { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tributary", &mut script);
            // A reader that stops early (`| head`) is not an error.
            return match std::io::Write::write_all(&mut std::io::stdout(), &script) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
                _ => ExitCode::SUCCESS,
            };
        }
        Command::Version => {
            println!("tributary {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Distributed { worker } => run(cli.log_format, |apply_log| distributed(worker, apply_log)),
        Command::Mirror { config } => run(cli.log_format, |apply_log| mirror(config, apply_log)),
        Command::Standalone { worker, connectors } => {
            run(cli.log_format, |apply_log| standalone(worker, connectors, apply_log))
        }
        Command::Dev { port } => run(cli.log_format, |apply_log| dev::run(port, apply_log)),
        Command::Operator(args) if args.print_crd => {
            print!("{}", tributary_operator::tributary_connect::crd_yaml());
            return ExitCode::SUCCESS;
        }
        Command::Operator(args) => run(cli.log_format, |_| operator(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn run<F, Fut>(log_format: LogFormat, body: F) -> anyhow::Result<()>
where
    F: FnOnce(ApplyLogFilter) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let apply_log = init_logging(log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(body(apply_log));
    // A client call abandoned at shutdown (its broker gone) must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome
}
