//! A real Kubernetes API server for the operator's tests: kube-apiserver and etcd, built from
//! the Go module proxy by `tests/kubernetes/build.sh` (once per machine, cached outside the
//! clone) and started on free loopback ports with certificates made by `openssl`.
//!
//! Only the API server and etcd run: resources are stored, validated (OpenAPI and CEL) and
//! watched, but nothing runs Deployments or Pods, and there is no garbage collection or
//! namespace deletion. Tests use a namespace each and never wait for one to go.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use tempfile::TempDir;

use crate::certificates;
use crate::go_build::go_build;
use crate::shared::remove_at_exit;
use crate::{ChildProcess, HarnessError};
use tributary_local_kafka::free_ports;

/// How long the API server may take to answer `/readyz` (2–3 s measured).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A running kube-apiserver with its etcd; both stop when this is dropped or the process ends.
#[derive(Debug)]
pub struct KubeApiServer {
    url: String,
    // Fields drop in order: the API server before its etcd, then the files.
    apiserver: ChildProcess,
    etcd: ChildProcess,
    dir: TempDir,
}

impl KubeApiServer {
    /// Builds the binaries if this machine has not yet, then starts etcd and the API server
    /// and waits until `/readyz` answers `ok`.
    pub fn start() -> Result<Self, HarnessError> {
        let bin = go_build("kubernetes/build.sh")?;
        let dir = tempfile::Builder::new()
            .prefix("tributary-kube-")
            .tempdir()
            .map_err(HarnessError::io("creating the API server's directory"))?;
        let path = dir.path();
        certificates(path)?;
        let ports = free_ports(3)?;
        let (client_port, peer_port, api_port) = (ports[0], ports[1], ports[2]);
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let mut etcd = Command::new(bin.join("etcd"));
        etcd.args(["--name", "test", "--log-level", "warn", "--unsafe-no-fsync"])
            .args(["--quota-backend-bytes", "1073741824", "--initial-cluster-state", "new"])
            .arg("--data-dir")
            .arg(path.join("etcd"))
            .args([
                "--listen-client-urls",
                &client_url,
                "--advertise-client-urls",
                &client_url,
            ])
            .args([
                "--listen-peer-urls",
                &peer_url,
                "--initial-advertise-peer-urls",
                &peer_url,
            ])
            .args(["--initial-cluster", &format!("test={peer_url}")]);
        let etcd = ChildProcess::spawn(etcd, &path.join("etcd.log"))?;
        let file = |name: &str| path.join(name).display().to_string();
        let mut apiserver = Command::new(bin.join("kube-apiserver"));
        apiserver
            .args(["--etcd-servers", &client_url])
            .args(["--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1"])
            .args(["--secure-port", &api_port.to_string()])
            .args(["--tls-cert-file", &file("apiserver.crt")])
            .args(["--tls-private-key-file", &file("apiserver.key")])
            .args(["--cert-dir", &file("")])
            .args(["--client-ca-file", &file("ca.crt")])
            .args(["--token-auth-file", &file("tokens.csv")])
            .args(["--authorization-mode", "RBAC"])
            .args(["--service-account-issuer", "https://kubernetes.default.svc"])
            .args(["--service-account-key-file", &file("sa.pub")])
            .args(["--service-account-signing-key-file", &file("sa.key")])
            .args(["--service-cluster-ip-range", "10.96.0.0/16"])
            // Endpoints may not hold loopback addresses; kubernetes' own test server does this.
            .args(["--endpoint-reconciler-type", "none"])
            // No controller-manager makes default service accounts.
            .args(["--disable-admission-plugins", "ServiceAccount"])
            .args(["--profiling=false", "--v", "1"]);
        let apiserver = ChildProcess::spawn(apiserver, &path.join("apiserver.log"))?;
        let url = format!("https://127.0.0.1:{api_port}");
        let mut server = KubeApiServer {
            url,
            apiserver,
            etcd,
            dir,
        };
        server.write_kubeconfig()?;
        server.wait_until_ready()?;
        Ok(server)
    }

    /// The API server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A kubeconfig with the admin's client certificate (`system:masters`).
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// The CA certificate the API server's serving certificate is signed by (PEM).
    pub fn ca_certificate(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// The last lines of the API server's and etcd's logs.
    pub fn log_tails(&self, lines: usize) -> String {
        format!(
            "--- kube-apiserver ---\n{}\n--- etcd ---\n{}",
            self.apiserver.log_tail(lines),
            self.etcd.log_tail(lines)
        )
    }

    fn write_kubeconfig(&self) -> Result<(), HarnessError> {
        let path = self.dir.path();
        let encoded = |name: &str| {
            fs::read(path.join(name))
                .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
                .map_err(HarnessError::io(format!("reading {name}")))
        };
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    \
             certificate-authority-data: {}\nusers:\n- name: admin\n  user:\n    client-certificate-data: {}\n    \
             client-key-data: {}\ncontexts:\n- name: test\n  context: {{cluster: test, user: admin, namespace: default}}\n\
             current-context: test\n",
            self.url,
            encoded("ca.crt")?,
            encoded("admin.crt")?,
            encoded("admin.key")?,
        );
        fs::write(self.kubeconfig(), kubeconfig).map_err(HarnessError::io("writing the kubeconfig"))
    }

    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let path = self.dir.path();
        let token = fs::read_to_string(path.join("token")).map_err(HarnessError::io("reading the token"))?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let answer = Command::new("curl")
                .args(["-s", "--max-time", "5", "--cacert"])
                .arg(path.join("ca.crt"))
                .args(["-H", &format!("Authorization: Bearer {}", token.trim())])
                .arg(format!("{}/readyz", self.url))
                .output()
                .map_err(HarnessError::io("running curl"))?;
            if answer.stdout == b"ok" {
                return Ok(());
            }
            let exited = self.apiserver.exit_status().is_some() || self.etcd.exit_status().is_some();
            if exited || Instant::now() > deadline {
                return Err(HarnessError::Usage(format!(
                    "the Kubernetes API server did not become ready:\n{}",
                    self.log_tails(20)
                )));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// A CA, the API server's serving certificate (with an IP SAN: rustls matches 127.0.0.1 only
/// against one), an admin client certificate in `system:masters`, a service-account key pair
/// and a bearer token, as EC P-256 keys.
fn certificates(dir: &Path) -> Result<(), HarnessError> {
    let openssl = |arguments: &str| certificates::run(dir, &|| Command::new("openssl"), arguments);
    let key = |name: &str| {
        openssl(&format!(
            "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {name}"
        ))
    };
    key("ca.key")?;
    openssl(
        "req -x509 -new -key ca.key -subj /CN=tributary-test-kubernetes-ca -days 2 -out ca.crt \
         -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
    )?;
    let leaf = |name: &str, subject: &str, extensions: &str| -> Result<(), HarnessError> {
        key(&format!("{name}.key"))?;
        openssl(&format!("req -new -key {name}.key -subj {subject} -out {name}.csr"))?;
        fs::write(dir.join(format!("{name}.ext")), extensions).map_err(HarnessError::io("writing extensions"))?;
        openssl(&format!(
            "x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile {name}.ext -out {name}.crt"
        ))
    };
    leaf(
        "apiserver",
        "/CN=kube-apiserver",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,\
         DNS:kubernetes.default,DNS:kubernetes.default.svc\n",
    )?;
    leaf(
        "admin",
        "/O=system:masters/CN=admin",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=clientAuth\n",
    )?;
    key("sa.key")?;
    openssl("pkey -in sa.key -pubout -out sa.pub")?;
    let token: String = (0..24).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    fs::write(dir.join("token"), &token).map_err(HarnessError::io("writing the token"))?;
    fs::write(dir.join("tokens.csv"), format!("{token},admin,admin,system:masters\n"))
        .map_err(HarnessError::io("writing tokens.csv"))
}

/// The API server shared by every test of the calling test binary, started on first use.
pub fn shared_kube_api_server() -> &'static KubeApiServer {
    static SHARED: OnceLock<KubeApiServer> = OnceLock::new();
    shared(&SHARED)
}

/// A second API server shared by the calling test binary, for the tests that install
/// Tributary's own KafkaConnector CRD (serving v1beta2 and v1): it cannot replace Strimzi 1.2's
/// (v1 only) on a server where v1beta2 objects were never stored, nor the other way round once
/// they were, so the two live on different servers.
pub fn shared_kube_api_server_for_shipped_crds() -> &'static KubeApiServer {
    static SHARED: OnceLock<KubeApiServer> = OnceLock::new();
    shared(&SHARED)
}

fn shared(cell: &'static OnceLock<KubeApiServer>) -> &'static KubeApiServer {
    cell.get_or_init(|| match KubeApiServer::start() {
        Ok(server) => {
            remove_at_exit(server.dir.path());
            server
        }
        Err(error) => panic!("cannot start the Kubernetes API server: {error}"),
    })
}
