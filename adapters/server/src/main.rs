//! `agora-server`: reads its flags (each also from an `AGORA_*` variable), binds,
//! opens the store, and serves on the chosen runtime until SIGINT or SIGTERM.

mod cli;
mod logging;
mod migrate;
mod secret_file;

use agora_adapters::metrics::{listener as metrics_listener, Metrics};
use agora_adapters::{listen, open_files, serve, Shared, Shutdown};
use agora_store::{Handle, Observer, OpenError};
use clap::Parser;
use cli::Args;
use logging::init_logging;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::process::ExitCode;
use std::sync::Arc;
use tracing::{error, info};

fn main() -> ExitCode {
    let args = Args::parse();
    ignore_file_size_signal();
    init_logging(&args.log, args.log_format);
    std::panic::set_hook(Box::new(|info| error!("panic: {info}")));
    if let Some(migrate::Command::Migrate(migrate)) = &args.command {
        return migrate::run(migrate);
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// A write past `RLIMIT_FSIZE` raises SIGXFSZ, whose default action kills the
/// process: the whole server would die for what is only a store fault. Ignored,
/// the write fails with EFBIG instead, SQLite reports an I/O error, and the
/// affected requests get 503 `store_unavailable` until the limit is lifted.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN at start-up, before any
    // thread exists; no handler code runs.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}

fn run(args: Args) -> Result<(), String> {
    let shutdown = Arc::new(Shutdown::new());
    watch_signals(shutdown.clone())?;

    let mut config = args.server_config();
    let mut store_config = args.store_config()?;
    // Never the URL as given: it may hold a password.
    let database = store_config.backend.to_string();
    config.max_connections = open_files::fit_max_connections(
        config.max_connections,
        args.runtime,
        store_config.connections(),
    );
    // Listening first: a server that cannot have its port must not create
    // (and leave behind) a database it will never serve.
    let listener = listen::bind((args.host.as_str(), args.port), config.backlog)
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    // The metrics port too, before the database is created.
    let metrics = match args.metrics_addr {
        None => None,
        Some(addr) => {
            let listener = std::net::TcpListener::bind(addr)
                .map_err(|e| format!("cannot listen on --metrics-addr {addr}: {e}"))?;
            let metrics = Arc::new(Metrics::new());
            config.metrics = Some(metrics.clone());
            store_config.observer = Observer::new(metrics.clone());
            Some((listener, metrics))
        }
    };
    // (issue 28) The server secret, after the ports (a server that cannot
    // listen leaves no file behind) and before the store checks it.
    let secret_path = args.secret_path();
    let loaded = secret_file::load_or_create(&secret_path)?;
    store_config.secret_verifier = Some(loaded.secret.verifier());
    config.secret = loaded.secret;
    let store = match Handle::open(store_config) {
        Ok(store) => store,
        Err(OpenError::OtherSecret) => {
            // A file made now would only be wrong on every later start.
            if loaded.created {
                let _ = std::fs::remove_file(&secret_path);
            }
            return Err(format!(
                "this database was written with another secret file: copy the secret file \
                 of the first node to {} (or name it with --secret-file)",
                secret_path.display()
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    info!(
        "agora listening on http://{local} (runtime {}, database {})",
        args.runtime, database
    );

    let shared = Shared::new(store.clone(), config, shutdown);
    if let Some((listener, metrics)) = metrics {
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the metrics address: {e}"))?;
        metrics_listener::spawn(listener, metrics, shared.conns.clone())
            .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
        info!("metrics on http://{addr}{}", metrics_listener::PATH);
    }
    let served = serve(args.runtime, listener, shared);
    info!("flushing the store");
    store.shutdown();
    served.map_err(|e| format!("serving failed: {e}"))?;
    info!("stopped");
    Ok(())
}

/// A thread that turns the first SIGINT/SIGTERM into a graceful shutdown and a
/// second one into an immediate exit.
fn watch_signals(shutdown: Arc<Shutdown>) -> Result<(), String> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).map_err(|e| format!("cannot watch signals: {e}"))?;
    std::thread::Builder::new()
        .name("agora-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if shutdown.is_triggered() {
                    error!("second signal {signal}: exiting now");
                    std::process::exit(1);
                }
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                info!("{name}: stopping (finishing in-flight requests)");
                shutdown.trigger();
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    Ok(())
}
