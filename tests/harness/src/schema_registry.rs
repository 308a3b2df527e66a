//! A real Schema Registry with Confluent's REST API: Apicurio Registry 3.3.3 (its ready-made
//! application from Maven Central, cached once per machine), in-memory storage, on free loopback
//! ports, run by the Python environment's Java 25. Its Confluent API lives under
//! `/apis/ccompat/v7`; global compatibility is BACKWARD, Confluent's default. It can also
//! serve HTTPS with a certificate the test made.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::python::PythonEnv;
use crate::HarnessError;
use tributary_local_kafka::free_ports;
use tributary_local_kafka::ChildProcess;

/// The Apicurio Registry version run.
pub const APICURIO_VERSION: &str = "3.3.3";

/// A running registry; stopped when dropped (and when the process ends).
#[derive(Debug)]
pub struct SchemaRegistry {
    process: Mutex<ChildProcess>,
    port: u16,
    tls_port: Option<u16>,
    _dir: tempfile::TempDir,
}

/// A certificate and its key (PEM files) to serve HTTPS with.
#[derive(Debug, Clone, Copy)]
pub struct ServerCertificate<'a> {
    /// The certificate.
    pub certificate: &'a str,
    /// Its private key.
    pub key: &'a str,
}

impl SchemaRegistry {
    /// Fetches (the first time) and starts a registry, waiting until it answers.
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_serving(None)
    }

    /// A registry that serves its API over HTTPS with `certificate` ([`SchemaRegistry::url`]
    /// is then the HTTPS one).
    pub fn start_with_tls(certificate: ServerCertificate<'_>) -> Result<Self, HarnessError> {
        Self::start_serving(Some(certificate))
    }

    /// Starts a registry; a start that lost one of its ports is tried again on others. The
    /// ports are free when chosen, but the JVM binds them seconds later, and a client's
    /// ephemeral port can take one meanwhile.
    fn start_serving(tls: Option<ServerCertificate<'_>>) -> Result<Self, HarnessError> {
        const ATTEMPTS: usize = 3;
        let mut attempt = 1;
        loop {
            match Self::start_once(tls) {
                Err(HarnessError::Node { log_tail, .. })
                    if attempt < ATTEMPTS && log_tail.contains("java.net.BindException") =>
                {
                    attempt += 1;
                }
                started => return started,
            }
        }
    }

    fn start_once(tls: Option<ServerCertificate<'_>>) -> Result<Self, HarnessError> {
        // The application: `quarkus-run.jar` and its libraries.
        let app = crate::maven_archive::unpacked(
            &format!("apicurio-registry-{APICURIO_VERSION}"),
            &format!("io.apicurio:apicurio-registry-app:{APICURIO_VERSION}:tar.gz:all"),
            &format!("apicurio-registry-app-{APICURIO_VERSION}-all.tar.gz"),
            "Apicurio Registry",
        )?;
        let java = PythonEnv::get()?.java()?;
        let dir = tempfile::Builder::new()
            .prefix("schema-registry-")
            .tempdir()
            .map_err(HarnessError::io("making the registry's directory"))?;
        let ports = free_ports(3)?;
        let (port, management_port) = (ports[0], ports[1]);
        let tls_port = tls.map(|_| ports[2]);
        let mut command = Command::new(java);
        command
            .current_dir(dir.path())
            .args(["-Xmx384m", "-XX:+ExitOnOutOfMemoryError"])
            .arg("-Dquarkus.http.host=127.0.0.1")
            .arg(format!("-Dquarkus.http.port={port}"))
            .arg("-Dquarkus.management.host=127.0.0.1")
            .arg(format!("-Dquarkus.management.port={management_port}"))
            .arg("-Dapicurio.rules.global.compatibility=BACKWARD");
        if let (Some(tls), Some(tls_port)) = (tls, tls_port) {
            command
                .arg(format!("-Dquarkus.http.ssl-port={tls_port}"))
                .arg(format!("-Dquarkus.http.ssl.certificate.files={}", tls.certificate))
                .arg(format!("-Dquarkus.http.ssl.certificate.key-files={}", tls.key));
        }
        command
            .arg("-jar")
            .arg(app.join("quarkus-run.jar"))
            .stdin(Stdio::null());
        let process = ChildProcess::spawn(command, &dir.path().join("registry.log"))?;
        let registry = SchemaRegistry {
            process: Mutex::new(process),
            port,
            tls_port,
            _dir: dir,
        };
        registry.wait_ready(Duration::from_secs(120))?;
        Ok(registry)
    }

    /// The URL converters and serializers are given (`schema.registry.url`): HTTPS when the
    /// registry serves it.
    pub fn url(&self) -> String {
        match self.tls_port {
            Some(port) => format!("https://127.0.0.1:{port}/apis/ccompat/v7"),
            None => format!("http://127.0.0.1:{}/apis/ccompat/v7", self.port),
        }
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            // With TLS, the HTTPS listener must accept connections too: it may open after the
            // plain one answers.
            let tls_listening = self
                .tls_port
                .is_none_or(|port| TcpStream::connect(("127.0.0.1", port)).is_ok());
            if tls_listening && get_status(self.port, "/apis/ccompat/v7/subjects") == Some(200) {
                return Ok(());
            }
            let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
            let exited = process.exit_status();
            if exited.is_some() || Instant::now() > deadline {
                return Err(HarnessError::Node {
                    message: match exited {
                        Some(status) => format!("the Schema Registry exited ({status})"),
                        None => format!("the Schema Registry did not answer within {timeout:?}"),
                    },
                    exited: exited.is_some(),
                    log: process.log().to_path_buf(),
                    log_tail: process.log_tail(30),
                });
            }
            drop(process);
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The status of a plain HTTP GET on loopback, or `None` when nothing answers.
fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The registry shared by every test of the calling test binary, started on first use.
pub fn shared_schema_registry() -> &'static SchemaRegistry {
    static SHARED: OnceLock<SchemaRegistry> = OnceLock::new();
    SHARED.get_or_init(|| match SchemaRegistry::start() {
        Ok(registry) => registry,
        Err(e) => panic!("cannot start the Schema Registry: {e}"),
    })
}
