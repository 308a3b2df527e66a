//! Kafka clients whose drop blocks: a group consumer leaves its group and waits until it is
//! closed, a producer flushes and joins its polling thread. With the brokers gone that takes
//! tens of seconds, and on a thread of the async runtime it stalls everything else (timers,
//! the REST API, the shutdown itself). [`DropOffRuntime`] moves that drop to a blocking thread.

use std::ops::Deref;

/// Owns `T` and drops it on a blocking thread when dropped inside the async runtime.
pub struct DropOffRuntime<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> DropOffRuntime<T> {
    /// Wraps `client`.
    pub fn new(client: T) -> Self {
        DropOffRuntime(Some(client))
    }

    /// Drops the client on a blocking thread and waits until it is gone (a consumer has left
    /// its group). Abandoning the wait leaves the drop running there.
    pub async fn close(mut self) {
        if let Some(client) = self.0.take() {
            tokio::task::spawn_blocking(move || drop(client)).await.ok();
        }
    }
}

impl<T: Send + 'static> Deref for DropOffRuntime<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match &self.0 {
            Some(client) => client,
            // Only `drop` takes the client out.
            None => unreachable!("a DropOffRuntime is used after its drop"),
        }
    }
}

impl<T: Send + 'static> Drop for DropOffRuntime<T> {
    fn drop(&mut self) {
        let Some(client) = self.0.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || drop(client));
            }
            Err(_) => drop(client),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Slow(std::sync::mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Slow {
        fn drop(&mut self) {
            self.0.send(std::thread::current().id()).ok();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn dropped_inside_the_runtime_on_another_thread() {
        let (sent, dropped_on) = std::sync::mpsc::channel();
        let here = std::thread::current().id();
        drop(DropOffRuntime::new(Slow(sent)));
        let thread = tokio::task::spawn_blocking(move || dropped_on.recv().ok())
            .await
            .unwrap();
        assert!(thread.is_some_and(|id| id != here));
    }
}
