//! Test certificates made with the `openssl` command: a CA, and certificates it signs for
//! 127.0.0.1/localhost, for the TLS servers the harness starts (Kafka, PostgreSQL).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HarnessError;

/// Makes `ca.crt`/`ca.key` in `dir` (if missing), then `<name>.crt`/`<name>.key` for
/// `subject`, valid for 127.0.0.1 and localhost and signed by the CA. `command` makes each
/// `openssl` command (to run it as another user, say). Returns the certificate's path.
pub fn signed_certificate(
    dir: &Path,
    name: &str,
    subject: &str,
    command: &dyn Fn() -> Command,
) -> Result<PathBuf, HarnessError> {
    let ext = format!("{name}.ext");
    fs::write(
        dir.join(&ext),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .map_err(HarnessError::io("writing the certificate extensions"))?;
    let mut steps = Vec::new();
    if !dir.join("ca.crt").exists() {
        steps.push(
            "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tributary-test-ca -keyout ca.key -out ca.crt"
                .to_string(),
        );
    }
    steps.push(format!(
        "req -newkey rsa:2048 -nodes -subj /CN={subject} -keyout {name}.key -out {name}.csr"
    ));
    steps.push(format!(
        "x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile {ext} -out {name}.crt"
    ));
    for step in &steps {
        run(dir, command, step)?;
    }
    Ok(dir.join(format!("{name}.crt")))
}

/// Runs `openssl <arguments>` (split on spaces) in `dir`.
pub fn run(dir: &Path, command: &dyn Fn() -> Command, arguments: &str) -> Result<(), HarnessError> {
    let mut openssl = command();
    openssl.current_dir(dir).args(arguments.split(' '));
    let output = openssl.output().map_err(HarnessError::io("running openssl"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(HarnessError::Usage(format!(
        "openssl {arguments} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    )))
}

/// A test CA and certificates it signed, in a temporary directory: `ca.crt`, and for each name
/// `<name>.crt`/`<name>.key` (PEM) and `<name>.p12` (PKCS12 with [`crate::STORE_PASSWORD`]),
/// valid for 127.0.0.1 and localhost.
pub struct TlsFiles {
    dir: tempfile::TempDir,
}

impl TlsFiles {
    /// Makes the CA and one certificate per name.
    pub fn make(names: &[&str]) -> Result<Self, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("tributary-tls-")
            .tempdir()
            .map_err(HarnessError::io("creating the certificates directory"))?;
        let openssl = || Command::new("openssl");
        for name in names {
            signed_certificate(dir.path(), name, name, &openssl)?;
            run(
                dir.path(),
                &openssl,
                &format!(
                    "pkcs12 -export -in {name}.crt -inkey {name}.key -name {name} -out {name}.p12 -passout pass:{}",
                    crate::STORE_PASSWORD
                ),
            )?;
        }
        Ok(TlsFiles { dir })
    }

    /// The path of `file` (`ca.crt`, `server.p12`…).
    pub fn path(&self, file: &str) -> String {
        self.dir.path().join(file).display().to_string()
    }

    /// The contents of `file`.
    pub fn read(&self, file: &str) -> Vec<u8> {
        fs::read(self.dir.path().join(file)).unwrap_or_default()
    }
}
