//! `agora-server migrate --from agora.db --to postgres://...`: moves one
//! node's SQLite database into an empty PostgreSQL database (the copying is
//! `agora_store::copy_sqlite_to_postgres`; this is its command line).

use agora_store::{copy_sqlite_to_postgres, CopyError, PostgresUrl};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The exit code when the copy is refused (no source, a source a server
/// still runs on, a source of another schema version, a target that is not
/// empty, a target started with another secret file): nothing was done, and
/// running it again as it is will not help.
pub const REFUSED: u8 = 3;

/// The server's subcommands (without one, it serves).
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Copies a SQLite database into an empty PostgreSQL database (users,
    /// tokens, messages, comments, reports, bans, read positions, events,
    /// all with their ids), in one transaction, then prints the rows of each
    /// table. Stop the server on the SQLite database first.
    Migrate(MigrateArgs),
}

#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// The SQLite database file to copy (opened read-only; it must have been
    /// opened by this build's agora-server, which brings its schema up to
    /// date).
    #[arg(long, env = "AGORA_MIGRATE_FROM")]
    pub from: PathBuf,
    /// The PostgreSQL database to copy into,
    /// postgres://USER[:PASS]@HOST[:PORT]/DBNAME: it must exist and hold no
    /// rows (its tables are created if missing). From AGORA_DB, as the
    /// nodes that will serve it take it, so that the password is not in `ps`.
    #[arg(long, env = "AGORA_DB")]
    pub to: PostgresUrl,
}

/// Runs the copy, printing what it copied to stdout; failures go to the log.
pub fn run(args: &MigrateArgs) -> ExitCode {
    let started = Instant::now();
    // `to` shows without its password.
    tracing::info!("copying {} into {}", args.from.display(), args.to);
    match copy_sqlite_to_postgres(&args.from, &args.to) {
        Ok(copied) => {
            println!(
                "copied {} into {} in {:.1} s:",
                args.from.display(),
                args.to,
                started.elapsed().as_secs_f64()
            );
            for table in &copied.tables {
                match table.max_id {
                    Some(max) => println!(
                        "  {:<16} {:>10} rows, largest id {max}",
                        table.name, table.rows
                    ),
                    None => println!("  {:<16} {:>10} rows", table.name, table.rows),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}");
            match e {
                CopyError::NoSource { .. }
                | CopyError::SourceInUse { .. }
                | CopyError::SourceVersion { .. }
                | CopyError::TargetNotEmpty { .. }
                | CopyError::OtherSecret { .. } => ExitCode::from(REFUSED),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Args;
    use clap::Parser;

    #[test]
    fn migrate_takes_a_file_and_a_postgres_url() {
        let args = Args::try_parse_from([
            "agora-server",
            "migrate",
            "--from",
            "old.db",
            "--to",
            "postgres://agora:secret@db/agora",
        ])
        .unwrap();
        let Some(Command::Migrate(migrate)) = args.command else {
            panic!("{args:?}")
        };
        assert_eq!(migrate.from, PathBuf::from("old.db"));
        assert_eq!(migrate.to.to_string(), "postgres://agora:***@db/agora");
        // Without a subcommand, the server serves.
        assert!(Args::try_parse_from(["agora-server"])
            .unwrap()
            .command
            .is_none());
        for to in ["agora.db", "postgres://db"] {
            let parsed =
                Args::try_parse_from(["agora-server", "migrate", "--from", "a.db", "--to", to]);
            assert!(parsed.is_err(), "{to}");
        }
    }
}
