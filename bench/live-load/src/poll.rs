//! Long-poll waiters: W connections each hold `GET /events?since=HEAD`, one
//! message is sent, and every answer's latency from the 201 is measured;
//! then again from the new head, for a few rounds.

use crate::api;
use crate::conn::{self, Arrival, Conn};
use crate::stats::{self, rss_kib, CpuSnapshot};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

#[derive(clap::Args)]
pub struct Args {
    /// Long-polls held at once.
    #[arg(long, default_value_t = 1_000)]
    waiters: usize,
    /// Users they belong to (waiter i uses user i mod this); 0 = one each.
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Rounds: hold, send one message, collect every answer.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Pause between sending the waits and sending the message, so that
    /// every wait is held by then.
    #[arg(long, default_value_t = 1.0)]
    hold: f64,
}

/// One answer to a held long-poll.
struct Answer {
    status: u16,
    /// The message it carried, and its `next`.
    message: Option<u64>,
    next: Option<u64>,
    arrival: Arrival,
}

pub async fn run(addr: SocketAddr, pid: Option<u32>, args: Args) -> io::Result<()> {
    let w = args.waiters;
    let users = if args.users == 0 { w } else { args.users };
    let tokens = api::register(addr, "w", users, 32).await?;
    let sender_token = api::register(addr, "sender", 1, 1).await?.remove(0);
    let mut sender = Conn::connect(addr).await?;
    let mut since = api::event_head(&mut sender, &sender_token).await?;

    let (round_tx, round_rx) = watch::channel(None::<u64>);
    let (answer_tx, mut answers) = mpsc::unbounded_channel();
    let mut conns = Vec::with_capacity(w);
    for _ in 0..w {
        conns.push(Conn::connect(addr).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = pid.map(rss_kib).transpose()?;
    for (i, conn) in conns.into_iter().enumerate() {
        let token = tokens[i % users].clone();
        tokio::spawn(wait_rounds(
            conn,
            token,
            round_rx.clone(),
            answer_tx.clone(),
        ));
    }
    drop(answer_tx);

    let mut headline = stats::Headline::default();
    let cpu_before = pid.map(CpuSnapshot::take).transpose()?;
    let mut all_kernel = Vec::new();
    let mut all_app = Vec::new();
    let mut all_posted = Vec::new();
    let mut all_wrong = 0;
    for round in 0..args.rounds {
        let _ = round_tx.send(Some(since));
        tokio::time::sleep(Duration::from_secs_f64(args.hold)).await;
        if round == 0 {
            if let (Some(pid), Some(before)) = (pid, rss_connected) {
                let held = rss_kib(pid)?;
                let per = (held as f64 - before as f64) * 1024.0 / w as f64;
                println!(
                    "rss_connected_kib={before} rss_held_kib={held} bytes_per_held_wait={per:.0}"
                );
                headline.add("bytes_per_held_wait", format!("{per:.0}"));
            }
        }
        let sent = api::send_public(&mut sender, &sender_token, &format!("poll {round}")).await?;
        let mut kernel = Vec::with_capacity(w);
        let mut app = Vec::with_capacity(w);
        let mut posted = Vec::with_capacity(w);
        let mut wrong = 0;
        let mut next = None;
        for _ in 0..w {
            let answer = tokio::time::timeout(Duration::from_secs(10), answers.recv())
                .await
                .map_err(|_| io::Error::other("a long-poll was not answered within 10 s"))?
                .ok_or_else(|| io::Error::other("a waiter failed"))??;
            if answer.status != 200 || answer.message != Some(sent.message_id) {
                wrong += 1;
            }
            next = next.max(answer.next);
            app.push(answer.arrival.app - sent.arrival.app);
            posted.push(answer.arrival.app - sent.posted);
            if let (Some(a), Some(b)) = (answer.arrival.kernel, sent.arrival.kernel) {
                kernel.push(a - b);
            }
        }
        println!("round {round}: {w} answers, {wrong} without the message");
        all_wrong += wrong;
        stats::print(
            "  wake_kernel (201 -> answer, kernel stamps)",
            kernel.clone(),
        );
        stats::print(
            "  wake_app (201 -> answer, as the generator read them)",
            app.clone(),
        );
        all_kernel.extend(kernel);
        stats::print("  wake_post (POST written -> answer read)", posted.clone());
        all_app.extend(app);
        all_posted.extend(posted);
        since = next.ok_or_else(|| io::Error::other("no answer named its next"))?;
    }
    if let (Some(pid), Some(before)) = (pid, cpu_before) {
        let used = CpuSnapshot::take(pid)?.since(&before);
        // Each wait: its request (a store read, a subscription) and its answer.
        let per = used.server_seconds * 1e6 / (w * args.rounds) as f64;
        println!("{used}");
        println!("server_cpu_us_per_wait={per:.2}");
        headline.add("server_cpu_us_per_wait", format!("{per:.2}"));
        headline.add("other_cores", format!("{:.2}", used.others));
    }
    println!("all {} rounds:", args.rounds);
    let kernel = stats::print("  wake_kernel", all_kernel);
    let app = stats::print("  wake_app", all_app);
    let posted = stats::print("  wake_post", all_posted);
    headline.add("wrong", all_wrong);
    headline.add_summary("kernel", kernel.as_ref());
    headline.add_summary("app", app.as_ref());
    headline.add_summary("post", posted.as_ref());
    if let Some(max) = kernel.map(|k| k.max) {
        headline.add("kernel_max_ms", format!("{max:.2}"));
    }
    headline.print();
    Ok(())
}

/// One waiter: each round, holds `GET /events?since=` the round's head and
/// hands its answer back.
async fn wait_rounds(
    mut conn: Conn,
    token: String,
    mut rounds: watch::Receiver<Option<u64>>,
    answers: mpsc::UnboundedSender<io::Result<Answer>>,
) {
    while rounds.changed().await.is_ok() {
        let Some(since) = *rounds.borrow_and_update() else {
            continue;
        };
        let path = format!("/events?since={since}&timeout=60");
        let answer = conn
            .call(&conn::get(&path, &token, false))
            .await
            .map(|r| Answer {
                status: r.status,
                message: conn::number_after(&r.body, b"\"message\":{\"id\":"),
                next: conn::number_after(&r.body, b"\"next\":"),
                arrival: r.arrival,
            });
        let failed = answer.is_err();
        if answers.send(answer).is_err() || failed {
            return;
        }
    }
}
