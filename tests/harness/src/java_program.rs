//! A Java program of the tests' fixtures (`tests/fixtures/java`) compiled once per machine
//! against Kafka's jars, cached by its source text, so that a test that runs it many times
//! (once per table read, say) does not pay for the source launcher compiling it each time
//! (some 5 CPU seconds of `javac` a run).

use std::collections::hash_map::DefaultHasher;
use std::fmt::Display;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{HarnessError, KafkaDistribution};

/// No system properties, for [`JavaProgram::command`].
pub const NO_PROPERTIES: [(&str, &str); 0] = [];

/// A compiled fixture program: its classes and the class with its `main`.
#[derive(Debug, Clone)]
pub struct JavaProgram {
    classes: PathBuf,
    main_class: String,
}

impl JavaProgram {
    /// The fixture program `tests/fixtures/java/<name>.java` (its public class `name`) compiled
    /// against Kafka's jars, or the classes compiled from the same text before.
    pub fn fixture(name: &str) -> Result<Self, HarnessError> {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/java");
        Self::compiled(&fixtures.join(format!("{name}.java")))
    }

    fn compiled(source: &Path) -> Result<Self, HarnessError> {
        let text = std::fs::read(source).map_err(|e| HarnessError::Io {
            context: format!("reading {}", source.display()),
            source: e,
        })?;
        let main_class = source
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default()
            .to_string();
        let mut hasher = DefaultHasher::new();
        text.hash(&mut hasher);
        let classes = tributary_local_kafka::cache_dir()
            .join("java-programs")
            .join(format!("{main_class}-{:016x}", hasher.finish()));
        if !classes.join(format!("{main_class}.class")).exists() {
            compile(source, &classes)?;
        }
        Ok(JavaProgram { classes, main_class })
    }

    /// A `java` command running the program with Kafka's jars and `jars` on its class path and
    /// the system `properties` set (`-Dkey=value`), standard input closed; the program's
    /// arguments are for the caller to add.
    pub fn command<K: Display, V: Display>(
        &self,
        jars: &[&Path],
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Command, HarnessError> {
        let libs = KafkaDistribution::get()?.libs().join("*");
        let entries = [self.classes.as_path(), libs.as_path()]
            .into_iter()
            .chain(jars.iter().copied());
        let classpath = std::env::join_paths(entries).map_err(|e| HarnessError::Io {
            context: "making a class path".into(),
            source: std::io::Error::other(e),
        })?;
        let mut command = Command::new("java");
        command
            .args(properties.into_iter().map(|(key, value)| format!("-D{key}={value}")))
            .arg("-cp")
            .arg(classpath)
            .arg(&self.main_class)
            .stdin(Stdio::null());
        Ok(command)
    }
}

/// Compiles `source` into `classes` (through a directory of its own, renamed into place, so
/// that tests compiling it at once do not see each other's half-written classes).
fn compile(source: &Path, classes: &Path) -> Result<(), HarnessError> {
    let io = |context: &str| {
        let context = context.to_string();
        move |source| HarnessError::Io { context, source }
    };
    let parent = classes.parent().unwrap_or(classes);
    std::fs::create_dir_all(parent).map_err(io("creating the compiled programs' folder"))?;
    let building = tempfile::tempdir_in(parent).map_err(io("creating a folder to compile in"))?;
    let libs = KafkaDistribution::get()?.libs().join("*");
    let output = Command::new("javac")
        .arg("-d")
        .arg(building.path())
        .arg("-cp")
        .arg(&libs)
        .arg(source)
        .stdin(Stdio::null())
        .output()
        .map_err(io("running javac"))?;
    if !output.status.success() {
        return Err(HarnessError::Fetch {
            what: format!("compiling {}", source.display()),
            status: output.status.to_string(),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let built = building.keep();
    match std::fs::rename(&built, classes) {
        // Another test compiled the same text meanwhile.
        Err(_) if classes.exists() => {
            let _ = std::fs::remove_dir_all(&built);
            Ok(())
        }
        renamed => renamed.map_err(io("moving the compiled classes into place")),
    }
}
