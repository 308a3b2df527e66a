//! What the tests of one test binary share: Kafka clusters started on first use and stopped
//! when the binary exits, their directories removed then.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tributary_local_kafka::{ClusterOptions, KafkaCluster};

use crate::HarnessError;

/// The one-broker cluster shared by every test of the calling test binary.
///
/// Started on first use and stopped when the test binary exits. Tests sharing it use unique
/// topic and group names.
pub fn shared_cluster() -> &'static KafkaCluster {
    static SHARED: OnceLock<KafkaCluster> = OnceLock::new();
    shared(&SHARED, 1)
}

/// The three-broker cluster shared by the tests of the calling test binary that need
/// replication (failure tests), started on first use like [`shared_cluster`].
pub fn shared_three_broker_cluster() -> &'static KafkaCluster {
    static SHARED: OnceLock<KafkaCluster> = OnceLock::new();
    shared(&SHARED, 3)
}

/// The source and target clusters shared by the mirroring tests of the calling test binary:
/// one broker each, started side by side on first use like [`shared_cluster`]. Both run Kafka's
/// ACL authorizer, so that ACLs can be mirrored (the harness's plaintext clients are anonymous
/// and made super users, so everything else runs as without an authorizer), and a log cleaner
/// that looks every second, so that compacted internal topics are compacted while a test runs.
/// Tests sharing them use unique topic names and cluster aliases of their own where they look
/// at a flow's internal topics.
pub fn shared_cluster_pair() -> &'static (KafkaCluster, KafkaCluster) {
    static SHARED: OnceLock<(KafkaCluster, KafkaCluster)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let start = || {
            let mut options = ClusterOptions::with_nodes(1);
            options.broker_properties = [
                (
                    "authorizer.class.name",
                    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                ),
                ("super.users", "User:ANONYMOUS"),
                ("log.cleaner.backoff.ms", "1000"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            started(KafkaCluster::start_with(options), 1)
        };
        let source = std::thread::spawn(start);
        let target = start();
        let source = source
            .join()
            .unwrap_or_else(|_| panic!("the shared source cluster's start panicked"));
        (source, target)
    })
}

fn shared(cell: &'static OnceLock<KafkaCluster>, nodes: usize) -> &'static KafkaCluster {
    cell.get_or_init(|| started(KafkaCluster::start(nodes), nodes))
}

/// A shared cluster that has started, removed when the process exits; a failed start panics
/// with the reason (every test using it fails with it).
fn started(cluster: Result<KafkaCluster, HarnessError>, nodes: usize) -> KafkaCluster {
    match cluster {
        Ok(cluster) => {
            remove_at_exit(cluster.dir());
            cluster
        }
        Err(error) => panic!("cannot start the shared {nodes}-broker Kafka cluster: {error}"),
    }
}

/// Removes `dir` when the process exits (a static is never dropped), unless
/// `TRIBUTARY_KEEP_KAFKA_LOGS` is set.
pub(crate) fn remove_at_exit(dir: &Path) {
    if let Ok(mut dirs) = SHARED_DIRS.lock() {
        if dirs.is_empty() {
            // SAFETY: registering a plain `extern "C"` function with no arguments.
            unsafe {
                libc::atexit(remove_shared_dirs);
            }
        }
        dirs.push(dir.to_path_buf());
    }
}

static SHARED_DIRS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

extern "C" fn remove_shared_dirs() {
    if std::env::var_os("TRIBUTARY_KEEP_KAFKA_LOGS").is_none() {
        if let Ok(dirs) = SHARED_DIRS.lock() {
            for dir in dirs.iter() {
                let _ = fs::remove_dir_all(dir);
            }
        }
    }
}
