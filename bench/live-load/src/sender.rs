//! The one sender: public messages at a fixed rate on a thread and a
//! runtime of its own, so that the subscribers' work never delays a send or
//! the reading of its 201.

use crate::api::{self, Sent};
use crate::conn::Conn;
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// Starts sending `rate` messages a second for `seconds` to the public
/// chat, or to `to` (a room); the thread's result is every acknowledged
/// message, in order.
pub fn start(
    addr: SocketAddr,
    token: String,
    to: Option<String>,
    rate: f64,
    seconds: f64,
) -> JoinHandle<io::Result<Vec<Sent>>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let mut conn = Conn::connect(addr).await?;
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            // A late send does not make the next ones bunch up.
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let total = (rate * seconds).round() as usize;
            let mut sent = Vec::with_capacity(total);
            for i in 0..total {
                tick.tick().await;
                let text = format!("live {i}");
                sent.push(api::send(&mut conn, &token, &text, to.as_deref()).await?);
            }
            Ok(sent)
        })
    })
}

/// Waits for the sender's thread without blocking the runtime.
pub async fn join(handle: JoinHandle<io::Result<Vec<Sent>>>) -> io::Result<Vec<Sent>> {
    tokio::task::spawn_blocking(move || handle.join())
        .await
        .map_err(io::Error::other)?
        .map_err(|_| io::Error::other("the sender panicked"))?
}
