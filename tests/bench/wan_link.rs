//! A long, thin network link in user space, for the mirror benchmark: a TCP proxy that delays
//! every byte by half a round trip in each direction and caps each direction's bandwidth, as
//! one link shared by all the connections through it.
//!
//! A chunk read from one side is given its slot on the link (the link sends one chunk after
//! the other at the capped rate), then arrives at the other side half a round trip after its
//! slot ends; chunks in flight overlap, as on a real link. Each connection's direction may have
//! at most `window` bytes sent and not yet acknowledged (an acknowledgement takes another half
//! round trip), which stands for TCP's window: the proxy cannot see the window a client's
//! socket advertises, so every connection gets the same one, set by the caller (the mirror
//! bench gives what Linux's receive-buffer autotuning grants at most). A client that pins a
//! smaller receive buffer (Java's consumers default to 64 KiB) would be slower on a real link
//! than through this proxy.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The link's shape.
#[derive(Clone, Copy, Debug)]
pub struct WanLink {
    /// Round-trip time the link adds.
    pub round_trip: Duration,
    /// Bandwidth of each direction, bytes per second.
    pub bytes_per_second: f64,
    /// Bytes a connection may have unacknowledged in one direction.
    pub window: usize,
}

/// When one direction of the link is free to send its next chunk.
type Direction = Arc<Mutex<Instant>>;

/// Largest chunk read at once.
const CHUNK: usize = 64 * 1024;

/// Listens on `listen` and joins each connection to `upstream` through `link`; aborting the
/// handle stops listening (connections already made go on).
pub async fn serve(listen: SocketAddr, upstream: SocketAddr, link: WanLink) -> std::io::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(listen).await?;
    let to_upstream: Direction = Arc::new(Mutex::new(Instant::now()));
    let to_client: Direction = Arc::new(Mutex::new(Instant::now()));
    Ok(tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(carry(client_read, server_write, link, to_upstream.clone()));
            tokio::spawn(carry(server_read, client_write, link, to_client.clone()));
        }
    }))
}

/// Carries one direction of one connection until either side closes it.
async fn carry(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: WanLink,
    direction: Direction,
) {
    let one_way = link.round_trip / 2;
    let window = Arc::new(Semaphore::new(link.window));
    let (in_flight, mut arriving) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer_window = window.clone();
    let writer = tokio::spawn(async move {
        while let Some((arrives, chunk)) = arriving.recv().await {
            tokio::time::sleep_until(arrives).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
            // The acknowledgement travels back before the window opens again.
            let (window, length) = (writer_window.clone(), chunk.len());
            tokio::spawn(async move {
                tokio::time::sleep(one_way).await;
                window.add_permits(length);
            });
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let Ok(permit) = window.acquire_many(read as u32).await else {
            break;
        };
        permit.forget();
        let sent = {
            let mut free = direction.lock().expect("the link's clock is never poisoned");
            let start = (*free).max(Instant::now());
            *free = start + Duration::from_secs_f64(read as f64 / link.bytes_per_second);
            *free
        };
        if in_flight.send((sent + one_way, buffer[..read].to_vec())).is_err() {
            break;
        }
    }
    drop(in_flight);
    let _ = writer.await;
}

/// Bytes per second one connection moves through a link listening on `listen`, sending
/// `megabytes` to a sink behind it: the most the link itself delivers, measured the same way
/// as the mirrors.
pub async fn measure_raw(listen: SocketAddr, sink: TcpListener, megabytes: usize) -> f64 {
    let receiver = tokio::spawn(async move {
        let (mut socket, _) = sink.accept().await.expect("the link connects");
        let mut buffer = vec![0; CHUNK];
        let mut received = 0usize;
        let mut first = None;
        while let Ok(read) = socket.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            first.get_or_insert_with(Instant::now);
            received += read;
        }
        (received, first.map_or(0.0, |at| at.elapsed().as_secs_f64()))
    });
    let mut socket = TcpStream::connect(listen).await.expect("the link accepts");
    let block = vec![7u8; 1 << 20];
    for _ in 0..megabytes {
        socket.write_all(&block).await.expect("the link carries data");
    }
    socket.shutdown().await.expect("the link closes");
    let (received, seconds) = receiver.await.expect("the sink finishes");
    received as f64 / seconds
}
