//! Runs a build script under `tests/` (`kubernetes/build.sh`, `helm/build.sh`): each builds Go
//! programs from the module proxy into the cache outside the clone, once per machine, and
//! prints the folder they are in.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HarnessError;

/// Runs `tests/<script>` (its progress on this process's standard error) and returns the
/// folder it printed.
pub(crate) fn go_build(script: &str) -> Result<PathBuf, HarnessError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(script);
    let output = Command::new("bash")
        .arg(&path)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(HarnessError::io("running a tests/ build script"))?;
    if !output.status.success() {
        return Err(HarnessError::Usage(format!(
            "tests/{script} failed ({})",
            output.status
        )));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}
