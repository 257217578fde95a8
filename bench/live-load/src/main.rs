//! Load generator for agora's live delivery (issue 14), run against a
//! server already listening (see `bench/live.sh`): `sse` opens event-stream
//! subscribers and measures deliveries and their latency while one sender
//! posts public messages; `poll` measures how fast held long-polls wake.
//! Loopback only; with `--pid` it also reads the server's memory and CPU.

mod api;
mod conn;
mod poll;
mod sender;
mod sse;
mod stamp;
mod stats;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Parser)]
struct Cli {
    /// The server.
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    /// The server's process id, to read its memory and CPU time.
    #[arg(long)]
    pid: Option<u32>,
    /// Threads of the generator's runtime (the sender has its own).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Event-stream subscribers and one sender.
    Sse(sse::Args),
    /// Long-poll waiters woken by one message, a few rounds.
    Poll(poll::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match raise_open_file_limit() {
        Ok(limit) => println!("open-file limit {limit}"),
        Err(e) => eprintln!("cannot raise the open-file limit: {e}"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        match cli.what {
            What::Sse(args) => sse::run(cli.addr, cli.pid, args).await,
            What::Poll(args) => poll::run(cli.addr, cli.pid, args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agora-live-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit: 10,000 streams need
/// 10,000 descriptors here too.
fn raise_open_file_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) and setrlimit(2) read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}
