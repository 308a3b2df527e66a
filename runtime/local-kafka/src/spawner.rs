//! Starts child processes that die with this process.
//!
//! Linux's `PR_SET_PDEATHSIG` kills a child when the *thread* that forked it exits, so every
//! child is forked from one thread that lives as long as the process. A test thread that starts
//! the shared cluster can then end without taking the brokers with it, while the brokers still
//! die when the test binary exits, panics or is killed.

use std::io;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type Request = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` so that it receives SIGKILL when this process ends.
pub(crate) fn spawn_tied_to_process(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("local-kafka-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    reply.send(spawn_with_death_signal(&mut command)).ok();
                }
            })
            .expect("the process spawner thread cannot start");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .map_err(|_| io::Error::other("process spawner lock poisoned"))?
        .send((command, reply_tx))
        .map_err(|_| io::Error::other("process spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("process spawner thread is gone"))?
}

#[cfg(target_os = "linux")]
fn spawn_with_death_signal(command: &mut Command) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only calls the async-signal-safe
    // `prctl` and `getppid`.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() == 1 {
                return Err(io::Error::other("parent exited during spawn"));
            }
            Ok(())
        });
    }
    command.spawn()
}

#[cfg(not(target_os = "linux"))]
fn spawn_with_death_signal(command: &mut Command) -> io::Result<Child> {
    command.spawn()
}
