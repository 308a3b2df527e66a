//! `tributary ctl`: manage connectors on any Kafka Connect worker (Tributary's or Apache's)
//! through its REST API, as kcctl does: tables for people, `-o json|yaml` for scripts, exit
//! codes scripts can test, named contexts.

mod client;
mod commands;
mod contexts;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use client::{ConnectClient, CtlError};
use contexts::{Contexts, Target};
use render::Output;

/// The settings and command of `tributary ctl`.
#[derive(clap::Args)]
#[command(
    after_help = "Exit codes: 0 done; 1 the worker refused the request, a config did not \
validate or an input file is unusable; 2 the command line is wrong; 3 no worker answered; 4 no such \
connector, task, plugin or logger."
)]
pub struct CtlArgs {
    /// The worker's REST URL [default: the context's, else http://localhost:8083].
    #[arg(long, global = true, env = "TRIBUTARY_URL")]
    url: Option<String>,
    /// The context to use instead of the current one (see `ctl config`).
    #[arg(long, global = true)]
    context: Option<String>,
    /// The user for HTTP basic authentication.
    #[arg(long, global = true, env = "TRIBUTARY_USERNAME")]
    username: Option<String>,
    /// The password for HTTP basic authentication.
    #[arg(long, global = true, env = "TRIBUTARY_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// A PEM file of the CA that signed the worker's certificate (for https URLs).
    #[arg(long, global = true)]
    ca_certificate: Option<String>,
    /// Accept any certificate from the worker.
    #[arg(long, global = true)]
    insecure: bool,
    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Output::Table)]
    output: Output,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(clap::Subcommand)]
enum CtlCommand {
    /// Manage the contexts file: named workers with their credentials.
    Config {
        #[command(subcommand)]
        what: Config,
    },
    #[command(flatten)]
    Worker(WorkerCommand),
}

/// The commands that talk to a worker.
#[derive(clap::Subcommand)]
enum WorkerCommand {
    /// List connectors, plugins, a connector's offsets, or loggers.
    Get {
        #[command(subcommand)]
        what: Get,
    },
    /// Show one connector (config, tasks, failure traces, topics, offsets) or a plugin's
    /// settings.
    Describe {
        #[command(subcommand)]
        what: Describe,
    },
    /// Create or update the connectors defined in files: `.properties`, JSON (`{"name",
    /// "config"}` or the bare config) or YAML (the same, or a Strimzi KafkaConnector); a
    /// directory applies each such file in it.
    Apply {
        /// Files or directories.
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Only validate, printing each setting's errors.
        #[arg(long)]
        dry_run: bool,
    },
    /// Change some settings of a connector, leaving the others as they are.
    Patch {
        /// The connector.
        name: String,
        /// A setting to set (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// A setting to remove (repeatable).
        #[arg(long = "unset", value_name = "KEY")]
        unset: Vec<String>,
    },
    /// Pause connectors (their tasks stay assigned, idle).
    Pause {
        /// The connectors.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Resume paused or stopped connectors.
    Resume {
        /// The connectors.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Stop connectors (their tasks are shut down; offsets can then be changed).
    Stop {
        /// The connectors.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Restart a connector, with its tasks or some of them.
    Restart {
        /// The connector.
        name: String,
        /// Restart its tasks too.
        #[arg(long)]
        tasks: bool,
        /// Restart only what has failed.
        #[arg(long)]
        failed: bool,
        /// Restart only this task.
        #[arg(long, conflicts_with_all = ["tasks", "failed"])]
        task: Option<u32>,
    },
    /// Delete connectors.
    Delete {
        /// The connectors.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Change a stopped connector's offsets.
    Alter {
        #[command(subcommand)]
        what: Alter,
    },
    /// Reset a stopped connector's offsets.
    Reset {
        #[command(subcommand)]
        what: Reset,
    },
    /// Show or change log levels.
    Logs {
        #[command(subcommand)]
        what: Logs,
    },
}

#[derive(clap::Subcommand)]
enum Get {
    /// Connectors with their type, class, state, running tasks and worker.
    #[command(alias = "connector")]
    Connectors,
    /// The connector plugins (`--all`: converters, transforms and predicates too).
    #[command(alias = "plugin")]
    Plugins {
        /// Every kind of plugin.
        #[arg(long)]
        all: bool,
    },
    /// A connector's offsets.
    Offsets {
        /// The connector.
        name: String,
    },
    /// The loggers with their levels.
    Loggers,
}

#[derive(clap::Subcommand)]
enum Describe {
    /// A connector: config, state, tasks with failure traces, topics and offsets.
    #[command(alias = "connectors")]
    Connector {
        /// The connector.
        name: String,
    },
    /// A plugin's settings: type, default, importance.
    #[command(alias = "plugins")]
    Plugin {
        /// The plugin's class or alias.
        class: String,
    },
}

#[derive(clap::Subcommand)]
enum Alter {
    /// Set offsets from a file: `{"offsets": [{"partition": {…}, "offset": {…}}]}` (JSON or
    /// YAML).
    Offsets {
        /// The connector (stopped).
        name: String,
        /// The offsets file.
        #[arg(short = 'f', long = "filename")]
        file: PathBuf,
    },
}

#[derive(clap::Subcommand)]
enum Reset {
    /// Remove every offset of the connector (it starts over when resumed).
    Offsets {
        /// The connector (stopped).
        name: String,
    },
}

#[derive(clap::Subcommand)]
enum Logs {
    /// Show the loggers' levels, one logger's level, or set it: `logs level [LOGGER [LEVEL]]`.
    Level {
        /// A logger (e.g. `tributary_runtime`, `root`).
        logger: Option<String>,
        /// The level to set (TRACE, DEBUG, INFO, WARN, ERROR).
        level: Option<String>,
        /// Set it on every worker of the cluster, not only this one.
        #[arg(long)]
        cluster: bool,
    },
}

#[derive(clap::Subcommand)]
enum Config {
    /// Add or replace a context from the connection flags (`--url`, `--username`,
    /// `--password`, `--ca-certificate`, `--insecure`).
    SetContext {
        /// The context's name.
        name: String,
        /// Make it the current context too.
        #[arg(long = "use")]
        make_current: bool,
    },
    /// Make a context the current one.
    UseContext {
        /// The context's name.
        name: String,
    },
    /// List the contexts.
    GetContexts,
    /// Print the current context's name.
    CurrentContext,
    /// Remove a context.
    DeleteContext {
        /// The context's name.
        name: String,
    },
}

/// Runs a `tributary ctl` command to its end.
pub fn run(args: CtlArgs) -> ExitCode {
    // As other Unix tools, end quietly when the reader of the output goes away (`| head`):
    // Rust ignores SIGPIPE, which would make the next print panic instead.
    // SAFETY: called before any other thread exists; restores the signal's default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

async fn execute(args: CtlArgs) -> Result<(), CtlError> {
    let contexts = Contexts::load()?;
    let flags = Target {
        url: args.url.unwrap_or_default(),
        username: args.username,
        password: args.password,
        ca_certificate: args.ca_certificate,
        insecure: args.insecure,
    };
    let command = match args.command {
        CtlCommand::Config { what } => return commands::config(contexts, what, flags),
        CtlCommand::Worker(command) => command,
    };
    let client = ConnectClient::new(&contexts.target(&flags, args.context.as_deref())?)?;
    let output = args.output;
    match command {
        WorkerCommand::Get { what } => match what {
            Get::Connectors => commands::get_connectors(&client, output).await,
            Get::Plugins { all } => commands::get_plugins(&client, output, all).await,
            Get::Offsets { name } => commands::get_offsets(&client, output, &name).await,
            Get::Loggers => commands::log_level(&client, output, None, None, false).await,
        },
        WorkerCommand::Describe { what } => match what {
            Describe::Connector { name } => commands::describe_connector(&client, output, &name).await,
            Describe::Plugin { class } => commands::describe_plugin(&client, output, &class).await,
        },
        WorkerCommand::Apply { files, dry_run } => commands::apply(&client, &files, dry_run).await,
        WorkerCommand::Patch { name, set, unset } => commands::patch(&client, output, &name, &set, &unset).await,
        WorkerCommand::Pause { names } => commands::change_state(&client, &names, "pause", "paused").await,
        WorkerCommand::Resume { names } => commands::change_state(&client, &names, "resume", "resumed").await,
        WorkerCommand::Stop { names } => commands::change_state(&client, &names, "stop", "stopped").await,
        WorkerCommand::Restart {
            name,
            tasks,
            failed,
            task,
        } => commands::restart(&client, output, &name, tasks, failed, task).await,
        WorkerCommand::Delete { names } => commands::delete(&client, &names).await,
        WorkerCommand::Alter {
            what: Alter::Offsets { name, file },
        } => commands::alter_offsets(&client, &name, &file).await,
        WorkerCommand::Reset {
            what: Reset::Offsets { name },
        } => commands::reset_offsets(&client, &name).await,
        WorkerCommand::Logs {
            what: Logs::Level { logger, level, cluster },
        } => commands::log_level(&client, output, logger.as_deref(), level.as_deref(), cluster).await,
    }
}
