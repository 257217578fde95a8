//! N event-stream subscribers, one sender: deliveries per second, delivery
//! latency from the 201 to each receipt, and the server's memory per idle
//! subscriber.

use crate::api::{self, Sent};
use crate::conn::{self, Arrival, Conn};
use crate::sender;
use crate::stats::{self, rss_kib, CpuSnapshot};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(clap::Args)]
pub struct Args {
    /// Event streams to open.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Users they belong to (subscriber i uses user i mod this); 0 = one each.
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Public messages per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// How long the sender sends.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Streams being opened at once.
    #[arg(long, default_value_t = 128)]
    open_parallel: usize,
    /// Pause between the last stream opening and the idle memory reading.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// How long to wait after the last send for the last deliveries.
    #[arg(long, default_value_t = 10.0)]
    drain: f64,
    /// (issue 25) Send to this public room (`#live`), which the sender
    /// makes and every subscriber's user joins, instead of the public chat.
    #[arg(long)]
    room: Option<String>,
}

/// One delivery: the message id and when it arrived (`kernel` is `i64::MIN`
/// when the kernel gave no stamp).
struct Receipt {
    message: u64,
    kernel: i64,
    app: i64,
}

/// What one subscriber saw.
#[derive(Default)]
struct Seen {
    receipts: Vec<Receipt>,
    /// Message ids that did not come in increasing order (repeats).
    disorder: usize,
    /// Why the stream ended before the run did (the server cut it, an error).
    ended: Option<String>,
}

/// The shared counters of the subscribers.
#[derive(Default)]
struct Progress {
    opened: AtomicUsize,
    failed: AtomicUsize,
    received: AtomicU64,
}

pub async fn run(addr: SocketAddr, pid: Option<u32>, args: Args) -> io::Result<()> {
    let n = args.subscribers;
    let users = if args.users == 0 { n } else { args.users };
    let began = Instant::now();
    let tokens: Arc<Vec<String>> = Arc::new(api::register(addr, "s", users, 32).await?);
    let sender_token = api::register(addr, "sender", 1, 1).await?.remove(0);
    if let Some(room) = &args.room {
        api::create_room(addr, &sender_token, room).await?;
        api::join_all(addr, &tokens, room, 32).await?;
        println!("{users} users joined {room}");
    }
    println!(
        "registered {users} users in {:.2}s",
        began.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = pid.map(rss_kib).transpose()?;

    let mut headline = stats::Headline::default();
    let progress = Arc::new(Progress::default());
    let gate = Arc::new(Semaphore::new(args.open_parallel));
    let opening = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    let mut seen = Vec::with_capacity(n);
    for i in 0..n {
        let tokens = tokens.clone();
        let (progress, gate) = (progress.clone(), gate.clone());
        let record = Arc::new(Mutex::new(Seen::default()));
        seen.push(record.clone());
        tasks.push(tokio::spawn(async move {
            subscribe(addr, &tokens[i % tokens.len()], &gate, &progress, &record).await
        }));
    }
    while progress.opened.load(Ordering::Relaxed) + progress.failed.load(Ordering::Relaxed) < n {
        if opening.elapsed() > Duration::from_secs(300) {
            return Err(io::Error::other("streams did not open within 300 s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let opened = progress.opened.load(Ordering::Relaxed);
    println!(
        "opened {opened} streams ({} failed) in {:.2}s",
        progress.failed.load(Ordering::Relaxed),
        opening.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    if let (Some(pid), Some(before)) = (pid, rss_before) {
        let idle = rss_kib(pid)?;
        let per = (idle as f64 - before as f64) * 1024.0 / opened.max(1) as f64;
        println!("rss_before_kib={before} rss_idle_kib={idle} bytes_per_idle_subscriber={per:.0}");
        headline.add("bytes_per_idle_subscriber", format!("{per:.0}"));
    }

    let cpu_before = pid.map(CpuSnapshot::take).transpose()?;
    let sending = sender::start(
        addr,
        sender_token,
        args.room.clone(),
        args.rate,
        args.seconds,
    );
    let sent = sender::join(sending).await?;
    let expected = sent.len() as u64 * opened as u64;
    let drain_until = Instant::now() + Duration::from_secs_f64(args.drain);
    while progress.received.load(Ordering::Relaxed) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu_after = pid.map(CpuSnapshot::take).transpose()?;
    let rss_end = pid.map(rss_kib).transpose()?;
    // The subscribers are stopped from here rather than told to stop: a
    // stop signal every one of them looked at on each read would be a lock
    // shared by all (it showed in the generator's profile).
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        if let Err(e) = task.await {
            if !e.is_cancelled() {
                return Err(io::Error::other(e));
            }
        }
    }
    let seen: Vec<Seen> = seen
        .iter()
        .map(|s| std::mem::take(&mut *s.lock().unwrap_or_else(PoisonError::into_inner)))
        .collect();
    report(&sent, &seen, opened, &mut headline);
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let deliveries: usize = seen.iter().map(|s| s.receipts.len()).sum();
        let used = after.since(&before);
        let per = used.server_seconds * 1e6 / deliveries.max(1) as f64;
        println!("{used}");
        println!(
            "server_cpu_us_per_delivery={per:.2} rss_end_kib={}",
            rss_end.unwrap_or(0)
        );
        headline.add("server_cpu_us_per_delivery", format!("{per:.2}"));
        headline.add("other_cores", format!("{:.2}", used.others));
    }
    headline.print();
    Ok(())
}

/// Opens one stream, then records in `seen` every message it delivers, until
/// the stream ends or the task is aborted.
async fn subscribe(
    addr: SocketAddr,
    token: &str,
    gate: &Semaphore,
    progress: &Progress,
    seen: &Mutex<Seen>,
) {
    let end =
        |reason: String| seen.lock().unwrap_or_else(PoisonError::into_inner).ended = Some(reason);
    let permit = gate.acquire().await;
    let opened = async {
        let mut conn = Conn::connect(addr).await?;
        conn.send(&conn::get("/events", token, true)).await?;
        let (status, _, _) = conn.head().await?;
        if status != 200 {
            return Err(conn::bad(&format!("GET /events answered {status}")));
        }
        io::Result::Ok(conn)
    }
    .await;
    drop(permit);
    let mut conn = match opened {
        Ok(conn) => conn,
        Err(e) => {
            progress.failed.fetch_add(1, Ordering::Relaxed);
            return end(format!("open: {e}"));
        }
    };
    progress.opened.fetch_add(1, Ordering::Relaxed);
    let mut last = 0;
    loop {
        let arrival = match conn.fill().await {
            Ok((0, _)) => return end("end of stream".into()),
            Ok((_, arrival)) => arrival,
            Err(e) => return end(format!("read: {e}")),
        };
        let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
        let before = seen.receipts.len();
        scan(&mut conn.buf, arrival, &mut seen, &mut last);
        let got = (seen.receipts.len() - before) as u64;
        progress.received.fetch_add(got, Ordering::Relaxed);
    }
}

/// Takes the complete frames (each ends with a blank line) out of `buf` and
/// records the message of each `message` event. The chunked framing's size
/// lines sit between frames and hold no message.
fn scan(buf: &mut Vec<u8>, arrival: Arrival, seen: &mut Seen, last: &mut u64) {
    let Some(end) = last_blank_line(buf) else {
        return;
    };
    let mut rest = &buf[..end];
    const KEY: &[u8] = b"\"message\":{\"id\":";
    while let Some(at) = conn::find(rest, KEY) {
        rest = &rest[at..];
        if let Some(message) = conn::number_after(rest, KEY) {
            if message <= *last {
                seen.disorder += 1;
            }
            *last = message;
            seen.receipts.push(Receipt {
                message,
                kernel: arrival.kernel.unwrap_or(i64::MIN),
                app: arrival.app,
            });
        }
        rest = &rest[KEY.len()..];
    }
    buf.drain(..end + 2);
}

/// Where the last `\n\n` in `buf` starts.
fn last_blank_line(buf: &[u8]) -> Option<usize> {
    let mut upto = buf.len();
    while let Some(at) = buf[..upto].iter().rposition(|&b| b == b'\n') {
        if at > 0 && buf[at - 1] == b'\n' {
            return Some(at - 1);
        }
        upto = at;
    }
    None
}

fn report(sent: &[Sent], seen: &[Seen], opened: usize, headline: &mut stats::Headline) {
    let by_id: HashMap<u64, &Sent> = sent.iter().map(|s| (s.message_id, s)).collect();
    let mut kernel = Vec::new();
    let mut app = Vec::new();
    let mut posted = Vec::new();
    let mut unknown = 0;
    let mut last_app = i64::MIN;
    // Per message: its latest receipt (kernel stamp, else the app's).
    let mut complete: HashMap<u64, i64> = HashMap::new();
    for receipt in seen.iter().flat_map(|s| &s.receipts) {
        let Some(sent) = by_id.get(&receipt.message) else {
            unknown += 1;
            continue;
        };
        last_app = last_app.max(receipt.app);
        app.push(receipt.app - sent.arrival.app);
        posted.push(receipt.app - sent.posted);
        let latest = complete.entry(receipt.message).or_insert(i64::MIN);
        if let (Some(k201), true) = (sent.arrival.kernel, receipt.kernel != i64::MIN) {
            kernel.push(receipt.kernel - k201);
            *latest = (*latest).max(receipt.kernel - k201);
        } else {
            *latest = (*latest).max(receipt.app - sent.arrival.app);
        }
    }
    let mut worst: Vec<(i64, usize)> = sent
        .iter()
        .enumerate()
        .filter_map(|(i, s)| complete.get(&s.message_id).map(|&t| (t, i)))
        .collect();
    let deliveries = app.len();
    let expected = sent.len() * opened;
    let first = sent.first().map_or(0, |s| s.arrival.app);
    let span = (last_app - first) as f64 / 1e9;
    let send_span = match (sent.first(), sent.last()) {
        (Some(a), Some(b)) => (b.arrival.app - a.arrival.app) as f64 / 1e9,
        _ => 0.0,
    };
    let ended: Vec<&String> = seen.iter().filter_map(|s| s.ended.as_ref()).collect();
    println!(
        "sent={} in {send_span:.2}s deliveries={deliveries} expected={expected} missing={} unknown={unknown} disorder={} streams_ended={}",
        sent.len(),
        expected.saturating_sub(deliveries),
        seen.iter().map(|s| s.disorder).sum::<usize>(),
        ended.len()
    );
    if let Some(reason) = ended.first() {
        println!("first ended stream: {reason}");
    }
    let rate = deliveries as f64 / span.max(1e-9);
    println!("deliveries_per_s={rate:.0} (from the first 201 to the last receipt, {span:.2}s)");
    let kernel = stats::print("latency_kernel (201 -> receipt, kernel stamps)", kernel);
    let app = stats::print(
        "latency_app (201 -> receipt, as the generator read them)",
        app,
    );
    let posted = stats::print("latency_post (POST written -> receipt read)", posted);
    let complete = stats::print(
        "fan_out_complete (201 -> a message's last receipt, per message)",
        worst.iter().map(|w| w.0).collect(),
    );
    headline.add("sent", sent.len());
    headline.add(
        "send_rate",
        format!("{:.1}", sent.len() as f64 / send_span.max(1e-9)),
    );
    headline.add("deliveries_per_s", format!("{rate:.0}"));
    headline.add("missing", expected.saturating_sub(deliveries));
    headline.add("streams_ended", ended.len());
    headline.add_summary("kernel", kernel.as_ref());
    headline.add_summary("app", app.as_ref());
    headline.add_summary("post", posted.as_ref());
    headline.add_summary("complete", complete.as_ref());
    worst.sort_unstable_by(|a, b| b.cmp(a));
    let worst: Vec<String> = worst
        .iter()
        .take(5)
        .map(|(t, i)| format!("#{i}: {:.1}ms", *t as f64 / 1e6))
        .collect();
    println!(
        "slowest messages (index of {}): {}",
        sent.len(),
        worst.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(app: i64) -> Arrival {
        Arrival { kernel: None, app }
    }

    #[test]
    fn frames_split_across_reads_are_counted_once_each() {
        let frame = |event: u64, message: u64| {
            let data = format!(
                "{{\"id\":{event},\"type\":\"message\",\"chat_type\":\"public\",\"chat\":\"public_chat\",\"message\":{{\"id\":{message},\"author\":\"x\"}}}}"
            );
            let sse = format!("id: {event}\nevent: message\ndata: {data}\n\n");
            format!("{:x}\r\n{sse}\r\n", sse.len())
        };
        let stream = format!("{}{}: ping\n\n{}", frame(7, 3), frame(8, 4), frame(9, 5));
        let (mut seen, mut last, mut buf) = (Seen::default(), 0, Vec::new());
        // Every split point: the first part, then the rest.
        for cut in [10, 100, stream.len() - 3] {
            seen = Seen::default();
            last = 0;
            buf.clear();
            buf.extend_from_slice(&stream.as_bytes()[..cut]);
            scan(&mut buf, arrival(1), &mut seen, &mut last);
            buf.extend_from_slice(&stream.as_bytes()[cut..]);
            scan(&mut buf, arrival(2), &mut seen, &mut last);
            let messages: Vec<u64> = seen.receipts.iter().map(|r| r.message).collect();
            assert_eq!(messages, [3, 4, 5], "cut at {cut}");
            assert_eq!(seen.disorder, 0);
        }
        // What follows the last frame's blank line stays for the next read.
        assert_eq!(buf, b"\r\n");
        // A repeat counts as disorder.
        buf.extend_from_slice(frame(9, 5).as_bytes());
        scan(&mut buf, arrival(3), &mut seen, &mut last);
        assert_eq!(seen.disorder, 1);
    }
}
