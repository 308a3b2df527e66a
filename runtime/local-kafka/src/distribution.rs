//! The Apache Kafka jars: fetched through Maven once, cached outside git, run with `java`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crate::spawner::spawn_tied_to_process;
use crate::LocalKafkaError;

/// The Apache Kafka version every test, benchmark and `tributary dev` runs.
pub const KAFKA_VERSION: &str = "4.3.1";

/// The Maven project whose dependencies are the jars we run.
const POM: &str = include_str!("../kafka/pom.xml");
/// Console logging for every JVM started here.
const LOG4J2: &str = include_str!("../kafka/log4j2.properties");

/// A local copy of Apache Kafka's jars: the broker, its tools, Connect and MirrorMaker 2.
#[derive(Debug, Clone)]
pub struct KafkaDistribution {
    libs: PathBuf,
    log4j_config: PathBuf,
}

impl KafkaDistribution {
    /// Returns the cached distribution, fetching it with Maven the first time.
    ///
    /// The cache is `$TRIBUTARY_CACHE_DIR`, else `$XDG_CACHE_HOME/tributary`, else
    /// `~/.cache/tributary`. Concurrent callers (parallel test binaries) wait on a file lock
    /// instead of fetching twice.
    pub fn get() -> Result<Self, LocalKafkaError> {
        static CACHED: OnceLock<KafkaDistribution> = OnceLock::new();
        if let Some(found) = CACHED.get() {
            return Ok(found.clone());
        }
        let fetched = Self::fetch_into(&cache_dir())?;
        Ok(CACHED.get_or_init(|| fetched).clone())
    }

    fn fetch_into(cache: &Path) -> Result<Self, LocalKafkaError> {
        require_program(
            "java",
            "install a Java 17+ runtime, e.g. `apt-get install openjdk-17-jre-headless`",
        )?;
        let home = cache.join(format!("kafka-{KAFKA_VERSION}"));
        let libs = home.join("libs");
        let done = home.join(".complete");
        let log4j_config = home.join("log4j2.properties");
        fs::create_dir_all(&home).map_err(LocalKafkaError::io(format!("creating {}", home.display())))?;
        let _lock = FileLock::acquire(&home.join(".lock"))?;
        let pom_path = home.join("pom.xml");
        let up_to_date = done.exists() && fs::read_to_string(&pom_path).ok().as_deref() == Some(POM);
        if !up_to_date {
            require_program("mvn", "install Maven, e.g. `apt-get install maven`")?;
            fs::write(&pom_path, POM).map_err(LocalKafkaError::io("writing pom.xml"))?;
            let staging = home.join("libs.partial");
            fs::remove_dir_all(&staging).ok();
            run_quietly(
                Command::new("mvn")
                    .args(["-q", "-B", "-f"])
                    .arg(&pom_path)
                    .arg("dependency:copy-dependencies")
                    .arg(format!("-DoutputDirectory={}", staging.display())),
                "fetching Apache Kafka's jars with Maven",
            )?;
            fs::remove_dir_all(&libs).ok();
            fs::rename(&staging, &libs).map_err(LocalKafkaError::io("installing the fetched jars"))?;
            fs::write(&done, KAFKA_VERSION).map_err(LocalKafkaError::io("marking the cache complete"))?;
        }
        fs::write(&log4j_config, LOG4J2).map_err(LocalKafkaError::io("writing log4j2.properties"))?;
        Ok(KafkaDistribution { libs, log4j_config })
    }

    /// The folder holding every jar.
    pub fn libs(&self) -> &Path {
        &self.libs
    }

    /// A `java` command running `main_class` with all the jars on its class path, logging to
    /// the console at INFO, with the given maximum heap (e.g. `"512m"`).
    ///
    /// `KAFKA_HEAP_OPTS`, when set, replaces the heap flags, as in Kafka's own scripts.
    pub fn java(&self, main_class: &str, max_heap: &str) -> Command {
        let mut command = Command::new("java");
        match std::env::var("KAFKA_HEAP_OPTS") {
            Ok(opts) if !opts.trim().is_empty() => {
                command.args(opts.split_whitespace());
            }
            _ => {
                command.arg(format!("-Xmx{max_heap}")).arg("-Xms64m");
            }
        }
        command
            .args([
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
            ])
            .arg(format!("-Dlog4j2.configurationFile={}", self.log4j_config.display()))
            .arg("-cp")
            .arg(format!("{}/*", self.libs.display()))
            .arg(main_class)
            .stdin(Stdio::null());
        command
    }
}

/// A process started here or by the test harness (a broker, a JVM peer, a worker under test), with its
/// output going to a log file.
#[derive(Debug)]
pub struct ChildProcess {
    child: Child,
    log: PathBuf,
}

impl ChildProcess {
    /// Starts `command` with stdout and stderr appended to `log`; the process is killed when this
    /// process ends, whatever the way it ends.
    pub fn spawn(mut command: Command, log: &Path) -> Result<Self, LocalKafkaError> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(LocalKafkaError::io(format!("opening {}", log.display())))?;
        let err_file = file.try_clone().map_err(LocalKafkaError::io("cloning log handle"))?;
        command.stdout(file).stderr(err_file);
        let child = spawn_tied_to_process(command).map_err(LocalKafkaError::io("starting a child process"))?;
        Ok(ChildProcess {
            child,
            log: log.to_path_buf(),
        })
    }

    /// The operating system's id of the process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file its output goes to.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Whether it has exited, with its status.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends SIGKILL and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    /// Sends SIGTERM and waits up to `grace` for it to exit, then SIGKILL.
    pub fn terminate(&mut self, grace: std::time::Duration) {
        if self.exit_status().is_some() {
            return;
        }
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if self.exit_status().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.kill();
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&fs::read_to_string(&self.log).unwrap_or_default(), lines)
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where fetched jars and builds are cached: `TRIBUTARY_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/tributary`, else `~/.cache/tributary`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TRIBUTARY_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("tributary");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("tributary")
}

/// `Ok` when `program` is on `PATH`, else an error saying how to install it (`hint`).
pub fn require_program(program: &'static str, hint: &'static str) -> Result<(), LocalKafkaError> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(LocalKafkaError::MissingProgram { program, hint })
    }
}

/// Runs `command` to fetch or install something, its output kept for the error it fails with.
pub fn run_quietly(command: &mut Command, what: &str) -> Result<(), LocalKafkaError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(LocalKafkaError::io(format!("{what}: starting the command")))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(LocalKafkaError::Fetch {
        what: what.to_string(),
        status: output.status.to_string(),
        output: tail(&text, 40),
    })
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The first ERROR of a Kafka log `text` and the lines after it (its exception and stack), then
/// the last `lines` lines: a node that fails to start logs the cause first and then a shutdown
/// whose lines alone would fill the tail.
pub(crate) fn errors_and_tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let last = all.len().saturating_sub(lines);
    match all.iter().position(|line| line.contains(" ERROR ")) {
        Some(first) if first < last => {
            let cause = &all[first..(first + 15).min(last)];
            format!("{}\n...\n{}", cause.join("\n"), tail(text, lines))
        }
        _ => tail(text, lines),
    }
}

/// An exclusive `flock` held until dropped.
pub struct FileLock(fs::File);

impl FileLock {
    /// Waits until the lock on `path` (created if missing) is this process's.
    pub fn acquire(path: &Path) -> Result<Self, LocalKafkaError> {
        use std::os::unix::io::AsRawFd;
        let mut file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(LocalKafkaError::io(format!("opening {}", path.display())))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(LocalKafkaError::io("locking the jar cache")(
                std::io::Error::last_os_error(),
            ));
        }
        writeln!(file, "{}", std::process::id()).ok();
        Ok(FileLock(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: unlocking the descriptor we locked.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_nodes_log_shows_its_first_error_before_the_shutdown() {
        let mut log = vec!["[t] INFO starting".to_string()];
        log.push("[t] ERROR Exiting Kafka due to fatal exception during startup.".into());
        log.push("java.net.BindException: Address already in use".into());
        log.extend((0..100).map(|i| format!("[t] INFO shutting down {i}")));
        let excerpt = errors_and_tail(&log.join("\n"), 10);
        assert!(excerpt.starts_with("[t] ERROR Exiting Kafka"), "{excerpt}");
        assert!(excerpt.contains("BindException"));
        assert!(excerpt.ends_with("shutting down 99"));
        assert!(!excerpt.contains("shutting down 20\n"));
        assert_eq!(errors_and_tail("a\nb\nc", 2), "b\nc");
    }
}
