//! Real PostgreSQL and MariaDB servers on loopback for the database connector tests and
//! benchmarks, from the machine's Debian packages (`postgresql`, `mariadb-server`; the
//! README's test command installs them). Each server lives in its own temporary directory
//! and dies with the process that started it, like the Kafka nodes.
//!
//! PostgreSQL runs with `wal_level=logical` (for change data capture) and trusts every local
//! connection; its superuser is `tributary`. MariaDB has a user `tributary`, password
//! `tributary`, with every privilege. Both have a database `tributary`. Durability settings are
//! relaxed (no fsync): the tests kill workers and servers, not the machine.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::shared::remove_at_exit;
use crate::HarnessError;
use tributary_local_kafka::free_ports;
use tributary_local_kafka::{tail, ChildProcess};

/// How long a server may take to initialise or start.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Which database server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// PostgreSQL.
    Postgres,
    /// MariaDB (MySQL-compatible).
    MariaDb,
}

/// A running database server, stopped when dropped.
#[derive(Debug)]
pub struct Database {
    kind: DatabaseKind,
    dir: PathBuf,
    port: u16,
    log: PathBuf,
    process: Option<ChildProcess>,
    /// The user the server runs as (PostgreSQL refuses to run as root).
    run_as: Option<(u32, u32)>,
}

impl Database {
    /// Initialises and starts a PostgreSQL server.
    pub fn start_postgres() -> Result<Self, HarnessError> {
        let bin = postgres_bin_dir()?;
        let mut database = Database::new(DatabaseKind::Postgres)?;
        let data = database.dir.join("data");
        let mut initdb = database.command(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "tributary", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        database.run_to_end(initdb, "initdb")?;
        database.start()?;
        database.sql("postgres", "CREATE DATABASE tributary")?;
        Ok(database)
    }

    /// The path of PostgreSQL's program `name` (`pg_recvlogical`, `pg_dump`…), of the newest
    /// version installed, the one the servers run.
    pub fn postgres_program(name: &str) -> Result<PathBuf, HarnessError> {
        Ok(postgres_bin_dir()?.join(name))
    }

    /// Initialises and starts a MariaDB server.
    pub fn start_mariadb() -> Result<Self, HarnessError> {
        let install = find_program("mariadb-install-db")?;
        let mut database = Database::new(DatabaseKind::MariaDb)?;
        let mut command = Command::new(install);
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={}", database.dir.join("data").display()))
            .arg(format!("--user={}", current_user()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        database.run_to_end(command, "mariadb-install-db")?;
        database.start()?;
        database.sql(
            "mysql",
            "CREATE DATABASE tributary; CREATE USER 'tributary'@'%' IDENTIFIED BY 'tributary'; \
             GRANT ALL ON *.* TO 'tributary'@'%' WITH GRANT OPTION;",
        )?;
        Ok(database)
    }

    fn new(kind: DatabaseKind) -> Result<Self, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix(match kind {
                DatabaseKind::Postgres => "tributary-postgres-",
                DatabaseKind::MariaDb => "tributary-mariadb-",
            })
            .tempdir()
            .map_err(HarnessError::io("creating a database directory"))?
            .keep();
        let run_as = match kind {
            DatabaseKind::Postgres => postgres_user()?,
            DatabaseKind::MariaDb => None,
        };
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .map_err(HarnessError::io("chown of the database directory"))?;
        }
        Ok(Database {
            kind,
            log: dir.join("server.log"),
            dir,
            port: free_ports(1)?[0],
            process: None,
            run_as,
        })
    }

    /// A command run as the server's user.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        command.current_dir(&self.dir);
        command
    }

    fn run_to_end(&self, mut command: Command, what: &str) -> Result<(), HarnessError> {
        let output = command.output().map_err(HarnessError::io(format!("running {what}")))?;
        if output.status.success() {
            return Ok(());
        }
        Err(HarnessError::Node {
            message: format!("{what} failed ({})", output.status),
            exited: false,
            log: self.log.clone(),
            log_tail: tail(
                &format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
                40,
            ),
        })
    }

    /// Starts the server (again, after [`Database::kill`]) and waits until it answers.
    pub fn start(&mut self) -> Result<(), HarnessError> {
        let data = self.dir.join("data");
        let command = match self.kind {
            DatabaseKind::Postgres => {
                let mut command = self.command(postgres_bin_dir()?.join("postgres"));
                command.arg("-D").arg(&data).arg("-p").arg(self.port.to_string());
                command.arg("-k").arg(&self.dir);
                for setting in [
                    "listen_addresses=127.0.0.1",
                    "wal_level=logical",
                    // The tests of one binary share a server and leave their slots: room for
                    // all of them (the change data capture and Debezium tests make about 50).
                    "max_replication_slots=200",
                    "max_wal_senders=40",
                    "max_connections=200",
                    "fsync=off",
                    "synchronous_commit=off",
                    "full_page_writes=off",
                    "shared_buffers=256MB",
                ] {
                    command.arg("-c").arg(setting);
                }
                command
            }
            DatabaseKind::MariaDb => {
                let mut command = Command::new(find_program("mariadbd")?);
                command
                    .arg("--no-defaults")
                    .arg(format!("--datadir={}", data.display()))
                    .arg(format!("--port={}", self.port))
                    .arg(format!("--socket={}", self.dir.join("mysql.sock").display()))
                    .arg(format!("--pid-file={}", self.dir.join("mysql.pid").display()))
                    .arg(format!("--user={}", current_user()))
                    .args([
                        "--bind-address=127.0.0.1",
                        "--innodb-flush-log-at-trx-commit=0",
                        "--innodb-doublewrite=0",
                        "--innodb-buffer-pool-size=256M",
                        "--max-connections=200",
                        "--skip-log-bin",
                    ]);
                command
            }
        };
        self.process = Some(ChildProcess::spawn(command, &self.log)?);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if self.sql(self.admin_database(), "SELECT 1").is_ok() {
                return Ok(());
            }
            let exited = self.process.as_mut().and_then(ChildProcess::exit_status);
            if exited.is_some() || Instant::now() > deadline {
                return Err(HarnessError::Node {
                    message: format!("the {:?} server did not start ({exited:?})", self.kind),
                    exited: exited.is_some(),
                    log: self.log.clone(),
                    log_tail: tail(&fs::read_to_string(&self.log).unwrap_or_default(), 40),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Kills the server with SIGKILL (it can be started again with [`Database::start`]).
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    fn admin_database(&self) -> &'static str {
        match self.kind {
            DatabaseKind::Postgres => "postgres",
            DatabaseKind::MariaDb => "mysql",
        }
    }

    /// Which server this is.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's own URL for database `tributary` (`postgres://…` or `mysql://…`).
    pub fn url(&self) -> String {
        match self.kind {
            DatabaseKind::Postgres => format!("postgres://tributary@127.0.0.1:{}/tributary", self.port),
            DatabaseKind::MariaDb => format!("mysql://tributary:tributary@127.0.0.1:{}/tributary", self.port),
        }
    }

    /// The JDBC URL a Confluent connector config would carry (user and password apart).
    pub fn jdbc_url(&self) -> String {
        match self.kind {
            DatabaseKind::Postgres => format!("jdbc:postgresql://127.0.0.1:{}/tributary", self.port),
            DatabaseKind::MariaDb => format!("jdbc:mysql://127.0.0.1:{}/tributary", self.port),
        }
    }

    /// Initialises and starts a PostgreSQL server that accepts TCP connections only over TLS,
    /// and user [`CERTIFIED_USER`] (a superuser with the REPLICATION attribute) only with a
    /// client certificate the server's CA signed for that name (`cert` authentication); other
    /// users without a password (over TLS). Returns it and the files (the CA certificate,
    /// which a verifying client trusts, among them).
    pub fn start_postgres_requiring_client_certificates() -> Result<(Self, ClientCertificate), HarnessError> {
        let database = Database::start_postgres()?;
        database.sql(
            "postgres",
            &format!("CREATE ROLE {CERTIFIED_USER} LOGIN SUPERUSER REPLICATION"),
        )?;
        let cert_lines = format!(
            "hostssl all {CERTIFIED_USER} 127.0.0.1/32 cert\nhostssl replication {CERTIFIED_USER} 127.0.0.1/32 cert\n"
        );
        let ca = database.require_tls(&cert_lines)?;
        let data = database.dir.join("data");
        crate::certificates::signed_certificate(&data, "client", CERTIFIED_USER, &|| database.command("openssl"))?;
        Ok((
            database,
            ClientCertificate {
                ca,
                cert: data.join("client.crt"),
                key: data.join("client.key"),
            },
        ))
    }

    /// PostgreSQL: from now on accepts TCP connections only over TLS, with a certificate for
    /// 127.0.0.1 signed by a CA made for the purpose (by `openssl`), and trusts clients it
    /// signed; `first_rules` come first in `pg_hba.conf`, before every user is trusted over
    /// TLS. Returns the CA certificate's path, which a verifying client trusts.
    fn require_tls(&self, first_rules: &str) -> Result<PathBuf, HarnessError> {
        let data = self.dir.join("data");
        crate::certificates::signed_certificate(&data, "server", "127.0.0.1", &|| self.command("openssl"))?;
        fs::write(
            data.join("pg_hba.conf"),
            format!(
                "local all all trust\n{first_rules}hostssl all all 127.0.0.1/32 trust\nhostssl replication all 127.0.0.1/32 trust\n"
            ),
        )
        .map_err(HarnessError::io("writing pg_hba.conf"))?;
        self.sql("postgres", "ALTER SYSTEM SET ssl_ca_file = 'ca.crt'")?;
        self.sql("postgres", "ALTER SYSTEM SET ssl = on")?;
        self.sql("postgres", "SELECT pg_reload_conf()")?;
        let deadline = Instant::now() + READY_TIMEOUT;
        while self.sql("postgres", "SHOW ssl")?.trim() != "on" {
            if Instant::now() > deadline {
                return Err(HarnessError::Usage("the server did not turn TLS on".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(data.join("ca.crt"))
    }

    /// Runs `statements` in `database` with the server's command-line client and returns what
    /// it printed (tab-separated rows, no headers).
    pub fn sql(&self, database: &str, statements: &str) -> Result<String, HarnessError> {
        let mut command = match self.kind {
            DatabaseKind::Postgres => {
                let mut command = Command::new(postgres_bin_dir()?.join("psql"));
                command
                    .args(["-h", "127.0.0.1", "-U", "tributary", "-X", "-q", "-A", "-t", "-F", "\t"])
                    .args(["-v", "ON_ERROR_STOP=1", "-p"])
                    .arg(self.port.to_string())
                    .arg("-d")
                    .arg(database)
                    .arg("-c")
                    .arg(statements);
                command
            }
            DatabaseKind::MariaDb => {
                let mut command = Command::new(find_program("mariadb")?);
                command
                    .args(["--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-B", "-N"])
                    .arg(format!("-P{}", self.port))
                    .args(["-u", "root", database, "-e", statements]);
                command
            }
        };
        let output = command
            .output()
            .map_err(HarnessError::io("running the database client"))?;
        if !output.status.success() {
            return Err(HarnessError::Usage(format!(
                "{statements}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.kill();
        if std::env::var_os("TRIBUTARY_KEEP_KAFKA_LOGS").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The user a server from [`Database::start_postgres_requiring_client_certificates`]
/// authenticates by client certificate.
pub const CERTIFIED_USER: &str = "certified";

/// The files of a client certificate (PEM), from
/// [`Database::start_postgres_requiring_client_certificates`].
#[derive(Debug, Clone)]
pub struct ClientCertificate {
    /// The CA certificate, which signed the server's certificate and the client's.
    pub ca: PathBuf,
    /// The client's certificate, for [`CERTIFIED_USER`].
    pub cert: PathBuf,
    /// Its private key (PKCS #8, not encrypted).
    pub key: PathBuf,
}

/// The PostgreSQL server shared by every test of the calling test binary (tests use unique
/// table names).
pub fn shared_postgres() -> &'static Database {
    static SHARED: OnceLock<Database> = OnceLock::new();
    shared(&SHARED, Database::start_postgres)
}

/// The MariaDB server shared by every test of the calling test binary.
pub fn shared_mariadb() -> &'static Database {
    static SHARED: OnceLock<Database> = OnceLock::new();
    shared(&SHARED, Database::start_mariadb)
}

fn shared(cell: &'static OnceLock<Database>, start: fn() -> Result<Database, HarnessError>) -> &'static Database {
    cell.get_or_init(|| match start() {
        Ok(database) => {
            remove_at_exit(&database.dir);
            database
        }
        Err(error) => panic!("cannot start the shared database server: {error}"),
    })
}

/// PostgreSQL's server programs (`initdb`, `postgres`, `psql`): the newest version installed.
fn postgres_bin_dir() -> Result<PathBuf, HarnessError> {
    let missing = HarnessError::MissingProgram {
        program: "postgres",
        hint: "install the Debian package `postgresql`",
    };
    let Ok(versions) = fs::read_dir("/usr/lib/postgresql") else {
        return Err(missing);
    };
    versions
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse::<u32>().ok()?, entry.path())))
        .filter(|(_, path)| path.join("bin/postgres").exists())
        .max()
        .map(|(_, path)| path.join("bin"))
        .ok_or(missing)
}

fn find_program(name: &'static str) -> Result<PathBuf, HarnessError> {
    ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.exists())
        .ok_or(HarnessError::MissingProgram {
            program: name,
            hint: "install the Debian package `mariadb-server`",
        })
}

/// The `postgres` account to run PostgreSQL as when we are root (it refuses to run as root).
fn postgres_user() -> Result<Option<(u32, u32)>, HarnessError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    // SAFETY: getpwnam with a NUL-terminated name; the record is read at once.
    let entry = unsafe { libc::getpwnam(c"postgres".as_ptr()) };
    if entry.is_null() {
        return Err(HarnessError::MissingProgram {
            program: "postgres",
            hint: "running as root needs the `postgres` account the Debian package `postgresql` creates",
        });
    }
    // SAFETY: checked non-null above.
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn current_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|user| !user.is_empty())
        // SAFETY: geteuid has no preconditions.
        .unwrap_or_else(|| {
            if unsafe { libc::geteuid() } == 0 {
                "root".into()
            } else {
                "nobody".into()
            }
        })
}
