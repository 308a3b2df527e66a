//! Ready-made archives from Maven Central (an application, a Connect plugin, a JDBC driver's
//! jar): fetched with Maven once per machine into the cache (unpacked, where they are
//! `.tar.gz`), and found there afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HarnessError;
use tributary_local_kafka::{cache_dir, require_program, run_quietly, FileLock};

/// The folder `cache/<name>/app` holding the unpacked `.tar.gz` archive `artifact` (Maven
/// coordinates `group:artifact:version:tar.gz:classifier`, whose file is `archive`), fetched and
/// unpacked on first use; `what` names it in errors.
pub(crate) fn unpacked(name: &str, artifact: &str, archive: &str, what: &str) -> Result<PathBuf, HarnessError> {
    let home = cache_dir().join(name);
    fs::create_dir_all(&home).map_err(HarnessError::io(format!("creating {}", home.display())))?;
    let _lock = FileLock::acquire(&home.join(".lock"))?;
    let app = home.join("app");
    if app.is_dir() {
        return Ok(app);
    }
    let staging = fetched(&home, artifact, what)?;
    let unpacking = home.join("app.partial");
    remove_if_there(&unpacking)?;
    fs::create_dir_all(&unpacking).map_err(HarnessError::io("making the unpacking directory"))?;
    run_quietly(
        Command::new("tar")
            .arg("xzf")
            .arg(staging.join(archive))
            .arg("-C")
            .arg(&unpacking),
        &format!("unpacking {what}"),
    )?;
    // Whole or not at all: the folder appears once everything is in it.
    fs::rename(&unpacking, &app).map_err(HarnessError::io(format!("installing {what}")))?;
    remove_if_there(&staging)?;
    Ok(app)
}

/// The file of `artifact` (Maven coordinates `group:artifact:version`), a jar, fetched into
/// `cache/<name>` on first use; `what` names it in errors.
pub(crate) fn jar(name: &str, artifact: &str, file: &str, what: &str) -> Result<PathBuf, HarnessError> {
    let home = cache_dir().join(name);
    fs::create_dir_all(&home).map_err(HarnessError::io(format!("creating {}", home.display())))?;
    let _lock = FileLock::acquire(&home.join(".lock"))?;
    let jar = home.join(file);
    if jar.is_file() {
        return Ok(jar);
    }
    let staging = fetched(&home, artifact, what)?;
    // Whole or not at all: the jar appears once it has all arrived.
    fs::rename(staging.join(file), &jar).map_err(HarnessError::io(format!("installing {what}")))?;
    remove_if_there(&staging)?;
    Ok(jar)
}

/// Fetches `artifact` with Maven into the folder `home/download`, made afresh, and returns it.
fn fetched(home: &Path, artifact: &str, what: &str) -> Result<PathBuf, HarnessError> {
    let staging = home.join("download");
    remove_if_there(&staging)?;
    require_program("mvn", "install Maven, e.g. `apt-get install maven`")?;
    run_quietly(
        Command::new("mvn")
            .args(["-q", "-B", "dependency:copy"])
            .arg(format!("-Dartifact={artifact}"))
            .arg(format!("-DoutputDirectory={}", staging.display()))
            .current_dir(home),
        &format!("fetching {what} with Maven"),
    )?;
    Ok(staging)
}

/// Removes `path` and what it holds, if it is there (a left-over of an interrupted fetch).
fn remove_if_there(path: &Path) -> Result<(), HarnessError> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(HarnessError::io(format!("removing {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}
