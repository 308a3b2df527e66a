//! Members watch each other's REST listeners, so that a worker that died (kill -9, a crash,
//! an OOM kill) leaves the group in about a second instead of after `session.timeout.ms`.
//!
//! A worker's REST listener lives exactly as long as its process, and it stays open until the
//! worker has left the group on a clean shutdown. So when a peer that has accepted a connection
//! before now *refuses* one ([`DEAD_AFTER`] probes in a row), nothing listens on its port any
//! more: its process is gone and its tasks stopped with it. Every member probes every other one;
//! a member that finds one dead removes it from the group through the coordinator (LeaveGroup
//! naming it), which starts the rebalance that hands its work to the survivors.
//!
//! Only a refusal counts. A probe that times out (a partition, a slow host) says nothing, and
//! the coordinator's session timeout decides as before; a peer never reached at all (a URL the
//! others cannot route to) is never declared dead.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How often each peer is probed.
const PROBE_INTERVAL: Duration = Duration::from_millis(400);
/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_millis(400);
/// Refused connections in a row that make a peer dead.
const DEAD_AFTER: u32 = 2;

/// What one probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// The connection was accepted.
    Listening,
    /// The peer's host refused the connection: nothing listens on the port.
    Refused,
    /// No answer in time, or another error: nothing can be concluded.
    Unknown,
}

/// What the probes of one peer have shown.
#[derive(Debug, Default)]
struct Evidence {
    /// It has accepted a connection at least once.
    seen: bool,
    /// Refusals since it last accepted one.
    refusals: u32,
}

impl Evidence {
    /// Takes a probe's result into account; `true` when the peer is now dead.
    fn observe(&mut self, probe: Probe) -> bool {
        match probe {
            Probe::Listening => {
                self.seen = true;
                self.refusals = 0;
            }
            Probe::Refused if self.seen => self.refusals += 1,
            Probe::Refused | Probe::Unknown => {}
        }
        self.refusals >= DEAD_AFTER
    }
}

/// `host:port` of a REST URL (`http://host:port/...`).
fn address(url: &str) -> Option<(String, u16)> {
    let url = reqwest::Url::parse(url).ok()?;
    Some((url.host_str()?.to_string(), url.port_or_known_default()?))
}

/// A watched member.
struct Peer {
    member: String,
    host: String,
    port: u16,
    evidence: Evidence,
}

impl Peer {
    async fn probe(&self) -> Probe {
        match tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect((self.host.as_str(), self.port))).await {
            Ok(Ok(_)) => Probe::Listening,
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionRefused => Probe::Refused,
            Ok(Err(_)) | Err(_) => Probe::Unknown,
        }
    }
}

/// Watches `peers` (member id → REST URL, this member left out) and sends the id of each one
/// found dead to `dead`, once. Ends when every peer is dead or `dead` is closed.
pub(super) fn watch(peers: BTreeMap<String, String>, dead: mpsc::UnboundedSender<String>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut watched: Vec<Peer> = peers
            .into_iter()
            .filter_map(|(member, url)| {
                let (host, port) = address(&url)?;
                Some(Peer {
                    member,
                    host,
                    port,
                    evidence: Evidence::default(),
                })
            })
            .collect();
        let mut interval = tokio::time::interval(PROBE_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !watched.is_empty() {
            interval.tick().await;
            let mut probes = futures::future::join_all(watched.iter().map(Peer::probe))
                .await
                .into_iter();
            let mut found_dead = Vec::new();
            watched.retain_mut(|peer| {
                let alive = !probes.next().is_some_and(|probe| peer.evidence.observe(probe));
                if !alive {
                    tracing::warn!(member = %peer.member, host = %peer.host, port = peer.port, "a worker of the group refuses connections: its process is gone");
                    found_dead.push(std::mem::take(&mut peer.member));
                }
                alive
            });
            for member in found_dead {
                if dead.send(member).is_err() {
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_peer_seen_listening_then_refusing_twice_is_dead() {
        let mut never_seen = Evidence::default();
        for _ in 0..5 {
            assert!(
                !never_seen.observe(Probe::Refused),
                "a URL never reached is not evidence"
            );
        }
        let mut peer = Evidence::default();
        assert!(!peer.observe(Probe::Listening));
        assert!(!peer.observe(Probe::Refused));
        assert!(!peer.observe(Probe::Listening), "an answer resets the count");
        assert!(!peer.observe(Probe::Refused));
        assert!(!peer.observe(Probe::Unknown), "a timeout neither counts nor resets");
        assert!(peer.observe(Probe::Refused));
    }

    #[test]
    fn addresses_come_from_rest_urls() {
        assert_eq!(address("http://10.0.0.7:8083"), Some(("10.0.0.7".into(), 8083)));
        assert_eq!(
            address("https://connect-0.connect:8443/"),
            Some(("connect-0.connect".into(), 8443))
        );
        assert_eq!(address("https://connect"), Some(("connect".into(), 443)));
        assert_eq!(address("not a url"), None);
    }

    #[tokio::test]
    async fn a_closed_listener_is_reported_dead_once() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (dead, mut found) = mpsc::unbounded_channel();
        let watcher = watch(
            BTreeMap::from([("m-1".to_string(), format!("http://127.0.0.1:{port}"))]),
            dead,
        );
        // Seen listening first (its probe accepted), then gone.
        tokio::time::timeout(Duration::from_secs(5), listener.accept())
            .await
            .expect("probed in time")
            .expect("accepted");
        drop(listener);
        let member = tokio::time::timeout(PROBE_INTERVAL * 10, found.recv()).await;
        assert_eq!(member.expect("reported in time"), Some("m-1".to_string()));
        tokio::time::timeout(Duration::from_secs(5), watcher)
            .await
            .expect("the watcher ends once every peer is dead")
            .expect("no panic");
    }
}
