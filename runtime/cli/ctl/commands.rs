//! What each `tributary ctl` command asks the worker and prints.

use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};
use tributary_runtime::config::{read_connector_file, ConfigMap};

use super::client::{ConnectClient, CtlError};
use super::contexts::{Contexts, Target};
use super::render::{cell, Output, Table};
use super::Config;

/// The characters a path segment keeps as they are (RFC 3986's unreserved ones).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `/connectors/{name}{rest}` with the name encoded.
fn connector_path(name: &str, rest: &str) -> String {
    format!("/connectors/{}{rest}", utf8_percent_encode(name, SEGMENT))
}

/// `get connectors`: one row per connector from a single expanded listing.
pub async fn get_connectors(client: &ConnectClient, output: Output) -> Result<(), CtlError> {
    let listing = client.get("/connectors?expand=status&expand=info").await?;
    if output.print_data(&listing)? {
        return Ok(());
    }
    let mut table = Table::new(&["NAME", "TYPE", "CLASS", "STATE", "TASKS", "WORKER"]);
    let mut connectors: Vec<(&String, &Value)> = listing.as_object().into_iter().flatten().collect();
    connectors.sort_by_key(|(name, _)| *name);
    for (name, connector) in connectors {
        let status = &connector["status"];
        let tasks = status["tasks"].as_array().map(Vec::as_slice).unwrap_or_default();
        let running = tasks.iter().filter(|t| t["state"] == "RUNNING").count();
        table.row(vec![
            name.clone(),
            cell(&connector["info"]["type"]),
            cell(&connector["info"]["config"]["connector.class"]),
            cell(&status["connector"]["state"]),
            format!("{running}/{}", tasks.len()),
            cell(&status["connector"]["worker_id"]),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

/// `get plugins [--all]`.
pub async fn get_plugins(client: &ConnectClient, output: Output, all: bool) -> Result<(), CtlError> {
    let path = if all {
        "/connector-plugins?connectorsOnly=false"
    } else {
        "/connector-plugins"
    };
    let plugins = client.get(path).await?;
    if output.print_data(&plugins)? {
        return Ok(());
    }
    let mut table = Table::new(&["CLASS", "TYPE", "VERSION"]);
    for plugin in plugins.as_array().into_iter().flatten() {
        table.row(vec![
            cell(&plugin["class"]),
            cell(&plugin["type"]),
            cell(&plugin["version"]),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

/// `get offsets NAME`.
pub async fn get_offsets(client: &ConnectClient, output: Output, name: &str) -> Result<(), CtlError> {
    let offsets = client.get(&connector_path(name, "/offsets")).await?;
    if !output.print_data(&offsets)? {
        print!("{}", offsets_table(&offsets).render());
    }
    Ok(())
}

fn offsets_table(offsets: &Value) -> Table {
    let mut table = Table::new(&["PARTITION", "OFFSET"]);
    for entry in offsets["offsets"].as_array().into_iter().flatten() {
        table.row(vec![cell(&entry["partition"]), cell(&entry["offset"])]);
    }
    table
}

/// `describe connector NAME`: its info, status, topics and offsets (the last two where the
/// worker serves them).
pub async fn describe_connector(client: &ConnectClient, output: Output, name: &str) -> Result<(), CtlError> {
    let info = client.get(&connector_path(name, "")).await?;
    let status = client.get(&connector_path(name, "/status")).await?;
    let topics = client.get_optional(&connector_path(name, "/topics")).await?;
    let offsets = client.get_optional(&connector_path(name, "/offsets")).await?;
    let whole = json!({"info": info, "status": status, "topics": topics, "offsets": offsets});
    if output.print_data(&whole)? {
        return Ok(());
    }
    let config = info["config"].as_object().cloned().unwrap_or_default();
    let mut text = String::new();
    let mut line = |label: &str, value: String| text.push_str(&format!("{label:<9}{value}\n"));
    line("Name:", name.to_string());
    line("Type:", cell(&info["type"]));
    line(
        "Class:",
        cell(&config.get("connector.class").cloned().unwrap_or_default()),
    );
    line("State:", cell(&status["connector"]["state"]));
    line("Worker:", cell(&status["connector"]["worker_id"]));
    if let Some(topics) = topics.as_ref().and_then(|t| t[name]["topics"].as_array()) {
        line("Topics:", topics.iter().map(cell).collect::<Vec<_>>().join(", "));
    }
    print!("{text}");
    if let Some(trace) = status["connector"]["trace"].as_str() {
        println!("Trace:\n{}", indent(trace));
    }
    let mut settings = Table::new(&["KEY", "VALUE"]);
    let mut keys: Vec<&String> = config.keys().collect();
    keys.sort();
    for key in keys {
        settings.row(vec![key.clone(), cell(&config[key])]);
    }
    println!("\nConfig:\n{}", indent(&settings.render()));
    let mut tasks = Table::new(&["TASK", "STATE", "WORKER"]);
    let task_statuses = status["tasks"].as_array().map(Vec::as_slice).unwrap_or_default();
    for task in task_statuses {
        tasks.row(vec![cell(&task["id"]), cell(&task["state"]), cell(&task["worker_id"])]);
    }
    println!("Tasks:\n{}", indent(&tasks.render()));
    for task in task_statuses {
        if let Some(trace) = task["trace"].as_str() {
            println!("Trace of task {}:\n{}", cell(&task["id"]), indent(trace));
        }
    }
    if let Some(offsets) = &offsets {
        println!("Offsets:\n{}", indent(&offsets_table(offsets).render()));
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

/// `describe plugin CLASS`: the plugin's settings.
pub async fn describe_plugin(client: &ConnectClient, output: Output, class: &str) -> Result<(), CtlError> {
    let path = format!("/connector-plugins/{}/config", utf8_percent_encode(class, SEGMENT));
    let settings = client.get(&path).await?;
    if output.print_data(&settings)? {
        return Ok(());
    }
    let mut table = Table::new(&["NAME", "TYPE", "REQUIRED", "DEFAULT", "IMPORTANCE"]);
    for setting in settings.as_array().into_iter().flatten() {
        table.row(vec![
            cell(&setting["name"]),
            cell(&setting["type"]),
            cell(&setting["required"]),
            cell(&setting["default_value"]),
            cell(&setting["importance"]),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

/// `apply -f …`: every file's connector created or updated (or only validated); a file that
/// fails does not stop the others.
pub async fn apply(client: &ConnectClient, paths: &[PathBuf], dry_run: bool) -> Result<(), CtlError> {
    let files = connector_files(paths)?;
    let mut failures = 0;
    for file in &files {
        let outcome = match read_connector(file) {
            Ok((name, config)) if dry_run => validate(client, file, &name, &config).await,
            Ok((name, config)) => put_config(client, &name, &config).await,
            Err(e) => Err(e),
        };
        if let Err(error) = outcome {
            eprintln!("{}: {error}", file.display());
            if !matches!(error, CtlError::Refused(_) | CtlError::Input(_) | CtlError::NotFound(_)) {
                return Err(error);
            }
            failures += 1;
        }
    }
    match failures {
        0 => Ok(()),
        _ => Err(CtlError::Refused(format!(
            "{failures} of {} files {}",
            files.len(),
            if dry_run {
                "did not validate"
            } else {
                "were not applied"
            }
        ))),
    }
}

/// The connector files among `paths`: files as given, directories by their `.properties`,
/// `.json`, `.yaml` and `.yml` files in name order.
fn connector_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CtlError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries =
            std::fs::read_dir(path).map_err(|e| CtlError::Input(format!("cannot read {}: {e}", path.display())))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| ["properties", "json", "yaml", "yml"].contains(&e))
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn read_connector(file: &Path) -> Result<(String, ConfigMap), CtlError> {
    let config = read_connector_file(file).map_err(|e| CtlError::Input(e.to_string()))?;
    let name = config
        .get("name")
        .cloned()
        .ok_or_else(|| CtlError::Input("the connector has no name".into()))?;
    Ok((name, config))
}

async fn put_config(client: &ConnectClient, name: &str, config: &ConfigMap) -> Result<(), CtlError> {
    let body = serde_json::to_value(config).map_err(|e| CtlError::Input(e.to_string()))?;
    let (status, _) = client
        .send(Method::PUT, &connector_path(name, "/config"), Some(&body))
        .await?;
    let done = if status == StatusCode::CREATED {
        "created"
    } else {
        "configured"
    };
    println!("connector {name} {done}");
    Ok(())
}

/// Validates `config` with its plugin, printing each setting's errors.
async fn validate(client: &ConnectClient, file: &Path, name: &str, config: &ConfigMap) -> Result<(), CtlError> {
    let class = config
        .get("connector.class")
        .ok_or_else(|| CtlError::Input("the connector has no connector.class".into()))?;
    let body = serde_json::to_value(config).map_err(|e| CtlError::Input(e.to_string()))?;
    let path = format!(
        "/connector-plugins/{}/config/validate",
        utf8_percent_encode(class, SEGMENT)
    );
    let answer = client.call(Method::PUT, &path, Some(&body)).await?;
    let mut errors = 0;
    for setting in answer["configs"].as_array().into_iter().flatten() {
        for error in setting["value"]["errors"].as_array().into_iter().flatten() {
            errors += 1;
            eprintln!(
                "{}: {}: {}",
                file.display(),
                cell(&setting["value"]["name"]),
                cell(error)
            );
        }
    }
    if errors > 0 {
        return Err(CtlError::Refused(format!(
            "connector {name}: {errors} settings are not valid"
        )));
    }
    println!("connector {name} valid");
    Ok(())
}

/// `patch NAME --set K=V --unset K`.
pub async fn patch(
    client: &ConnectClient,
    output: Output,
    name: &str,
    set: &[String],
    unset: &[String],
) -> Result<(), CtlError> {
    let mut changes = Map::new();
    for pair in set {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CtlError::Input(format!("--set {pair}: expected KEY=VALUE")))?;
        changes.insert(key.to_string(), Value::String(value.to_string()));
    }
    for key in unset {
        changes.insert(key.clone(), Value::Null);
    }
    if changes.is_empty() {
        return Err(CtlError::Input(
            "nothing to change: give --set KEY=VALUE or --unset KEY".into(),
        ));
    }
    let answer = client
        .call(
            Method::PATCH,
            &connector_path(name, "/config"),
            Some(&Value::Object(changes)),
        )
        .await?;
    if !output.print_data(&answer)? {
        println!("connector {name} patched");
    }
    Ok(())
}

/// `pause`, `resume` or `stop` of each connector.
pub async fn change_state(client: &ConnectClient, names: &[String], action: &str, done: &str) -> Result<(), CtlError> {
    for name in names {
        client
            .call(Method::PUT, &connector_path(name, &format!("/{action}")), None)
            .await?;
        println!("connector {name} {done}");
    }
    Ok(())
}

/// `restart NAME [--tasks] [--failed] [--task N]`.
pub async fn restart(
    client: &ConnectClient,
    output: Output,
    name: &str,
    tasks: bool,
    failed: bool,
    task: Option<u32>,
) -> Result<(), CtlError> {
    let (path, what) = match task {
        Some(task) => (
            connector_path(name, &format!("/tasks/{task}/restart")),
            format!("task {name}-{task}"),
        ),
        None => (
            connector_path(name, &format!("/restart?includeTasks={tasks}&onlyFailed={failed}")),
            format!("connector {name}"),
        ),
    };
    let answer = client.call(Method::POST, &path, None).await?;
    if answer.is_null() || !output.print_data(&answer)? {
        println!("{what} restarting");
    }
    Ok(())
}

/// `delete NAME…`.
pub async fn delete(client: &ConnectClient, names: &[String]) -> Result<(), CtlError> {
    for name in names {
        client.call(Method::DELETE, &connector_path(name, ""), None).await?;
        println!("connector {name} deleted");
    }
    Ok(())
}

/// `alter offsets NAME -f FILE`.
pub async fn alter_offsets(client: &ConnectClient, name: &str, file: &Path) -> Result<(), CtlError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| CtlError::Input(format!("cannot read {}: {e}", file.display())))?;
    // YAML is a superset of JSON: one parser reads both.
    let offsets: Value =
        serde_yaml::from_str(&text).map_err(|e| CtlError::Input(format!("{}: {e}", file.display())))?;
    let answer = client
        .call(Method::PATCH, &connector_path(name, "/offsets"), Some(&offsets))
        .await?;
    println!("{}", cell(&answer["message"]));
    Ok(())
}

/// `reset offsets NAME`.
pub async fn reset_offsets(client: &ConnectClient, name: &str) -> Result<(), CtlError> {
    let answer = client
        .call(Method::DELETE, &connector_path(name, "/offsets"), None)
        .await?;
    println!("{}", cell(&answer["message"]));
    Ok(())
}

/// `logs level [LOGGER [LEVEL]] [--cluster]` (and `get loggers`).
pub async fn log_level(
    client: &ConnectClient,
    output: Output,
    logger: Option<&str>,
    level: Option<&str>,
    cluster: bool,
) -> Result<(), CtlError> {
    let Some(logger) = logger else {
        let loggers = client.get("/admin/loggers").await?;
        if !output.print_data(&loggers)? {
            let mut table = Table::new(&["LOGGER", "LEVEL"]);
            for (name, setting) in loggers.as_object().into_iter().flatten() {
                table.row(vec![name.clone(), cell(&setting["level"])]);
            }
            print!("{}", table.render());
        }
        return Ok(());
    };
    let path = format!("/admin/loggers/{}", utf8_percent_encode(logger, SEGMENT));
    let Some(level) = level else {
        let setting = client.get(&path).await?;
        if !output.print_data(&setting)? {
            println!("{logger} {}", cell(&setting["level"]));
        }
        return Ok(());
    };
    let path = if cluster { format!("{path}?scope=cluster") } else { path };
    let changed = client
        .call(Method::PUT, &path, Some(&json!({ "level": level })))
        .await?;
    if !output.print_data(&changed)? {
        let scope = if cluster { "on every worker" } else { "on this worker" };
        println!("{logger} set to {} {scope}", level.to_ascii_uppercase());
    }
    Ok(())
}

/// `config …`: the contexts file.
pub fn config(mut contexts: Contexts, what: Config, flags: Target) -> Result<(), CtlError> {
    match what {
        Config::SetContext { name, make_current } => {
            if flags.url.is_empty() {
                return Err(CtlError::Input("set-context needs --url".into()));
            }
            contexts.contexts.insert(name.clone(), flags);
            if make_current {
                contexts.current_context = Some(name.clone());
            }
            contexts.save()?;
            println!("context {name} set");
        }
        Config::UseContext { name } => {
            if !contexts.contexts.contains_key(&name) {
                return Err(CtlError::NotFound(format!("no context named '{name}'")));
            }
            contexts.current_context = Some(name.clone());
            contexts.save()?;
            println!("using context {name}");
        }
        Config::GetContexts => {
            let mut table = Table::new(&["CURRENT", "NAME", "URL", "USER"]);
            for (name, target) in &contexts.contexts {
                let current = contexts.current_context.as_deref() == Some(name.as_str());
                table.row(vec![
                    if current { "*" } else { "" }.to_string(),
                    name.clone(),
                    target.url.clone(),
                    target.username.clone().unwrap_or_default(),
                ]);
            }
            print!("{}", table.render());
        }
        Config::CurrentContext => match &contexts.current_context {
            Some(name) => println!("{name}"),
            None => return Err(CtlError::NotFound("no current context".into())),
        },
        Config::DeleteContext { name } => {
            if contexts.contexts.remove(&name).is_none() {
                return Err(CtlError::NotFound(format!("no context named '{name}'")));
            }
            if contexts.current_context.as_deref() == Some(name.as_str()) {
                contexts.current_context = None;
            }
            contexts.save()?;
            println!("context {name} deleted");
        }
    }
    Ok(())
}
