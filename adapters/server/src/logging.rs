//! `--log`: checked while the command line is parsed (a misspelt level is a
//! usage error, not a filter that silently matches nothing), then installed
//! with `--log-format`: text, or JSON lines for a log pipeline.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// A checked tracing filter, ready to install.
#[derive(Clone, Debug)]
pub struct LogFilter(String);

/// A level applies to agora's own crates (dependencies log warnings only); a
/// full filter such as `debug,polling=trace` is taken as written, provided
/// every directive in it names a level: tracing would read a lone word such as
/// `verbose` as a target that nothing logs to, and print nothing at all.
pub fn parse_log_filter(value: &str) -> Result<LogFilter, String> {
    let level = value.to_ascii_lowercase();
    if LEVELS.contains(&level.as_str()) {
        return Ok(LogFilter(format!(
            "warn,agora_server={level},agora_adapters={level},agora_store={level},agora_core={level}"
        )));
    }
    for directive in value.split(',') {
        let named = directive.rsplit_once('=').map_or(directive, |(_, l)| l);
        if !LEVELS.contains(&named.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "{directive:?} names no level: expected one of {} or a tracing filter \
                 such as info,agora_store=debug",
                LEVELS.join(", ")
            ));
        }
    }
    EnvFilter::try_new(value).map_err(|e| e.to_string())?;
    Ok(LogFilter(value.to_owned()))
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`
    /// and the event's fields at the top level.
    Json,
}

/// Logs to stderr through `filter`, in `format`.
pub fn init_logging(filter: &LogFilter, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(&filter.0))
        .with_writer(std::io::stderr)
        // A log that cannot be written (stderr sent to a file on a full disk)
        // must not take the server down: by default a failed write is reported
        // with `eprintln!`, which panics when stderr fails, in whichever thread
        // logged, the store's writer included.
        .log_internal_errors(false);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_filters_pass_typos_do_not() {
        for good in [
            "info",
            "DEBUG",
            "off",
            "debug,polling=trace",
            "agora_store=debug",
        ] {
            assert!(parse_log_filter(good).is_ok(), "{good}");
        }
        for bad in [
            "verbose",
            "",
            "info,",
            "agora_store",
            "agora_store=loud",
            "[=info",
        ] {
            assert!(parse_log_filter(bad).is_err(), "{bad}");
        }
    }
}
