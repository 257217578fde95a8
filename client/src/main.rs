//! `agora`: the command-line client. Parses the command line, finds the
//! token, runs one command over one keep-alive connection, and maps the
//! result to an exit code (0 ok, 1 refused, 2 usage/no token, 3 unreachable).

mod api;
mod chat;
mod cli;
mod failure;
mod http;
mod localtime;
mod output;
mod render;
mod server_url;
mod tokens;
mod wire;

use api::Api;
use clap::Parser;
use cli::{Cli, Command};
use failure::Failure;
use http::Connection;
use localtime::Zone;
use output::Printer;
use server_url::ServerUrl;
use std::process::ExitCode;
use std::time::Duration;
use tokens::TokenFile;

/// Bound on every connect, read and write, so that nothing hangs.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit with 2 here
    let printer = Printer {
        json: cli.json,
        zone: Zone::Local,
    };
    match run(cli, printer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            printer.failure(&failure);
            failure.exit_code()
        }
    }
}

fn run(cli: Cli, printer: Printer) -> Result<(), Failure> {
    let server = ServerUrl::parse(&cli.server).map_err(Failure::Usage)?;
    let key = server.to_string();
    let dir = tokens::config_dir(|name| std::env::var_os(name)).ok_or_else(|| {
        Failure::Usage("no config directory: set AGORA_CONFIG_DIR or HOME".to_owned())
    })?;
    let mut file = TokenFile::load(&dir).map_err(Failure::Usage)?;
    let http = Connection::new(server, IO_TIMEOUT);

    if let Command::Register { name } = &cli.command {
        let reply = Api::new(http, None).get_token(name)?;
        let user = &reply.value.user_name;
        file.insert(&key, user, &reply.value.token);
        file.save().map_err(|e| {
            Failure::Usage(format!(
                "{user} is registered, but its token could not be saved in {} ({e}); \
                 keep it: {}",
                file.path().display(),
                reply.value.token
            ))
        })?;
        let path = file.path().display().to_string();
        printer.answer(&reply.raw, || render::registered(&reply.value, &key, &path));
        return Ok(());
    }

    let (user, token) = file
        .get(&key, cli.user.as_deref())
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let mut api = Api::new(http, Some(token));
    let zone = printer.zone;
    match cli.command {
        Command::Register { .. } => unreachable!("handled above"),
        Command::Send { to, text } => {
            let reply = api.send(to.as_deref(), &text.join(" "))?;
            printer.answer(&reply.raw, || {
                render::sent(&reply.value, to.as_deref(), zone)
            });
        }
        Command::Read { with, number } => {
            let reply = api.connect(with.as_deref(), number)?;
            printer.answer(&reply.raw, || render::connect(&reply.value, zone));
        }
        Command::Status => {
            let reply = api.status()?;
            printer.answer(&reply.raw, || render::status(&reply.value, zone));
        }
        Command::Comment { message_id, text } => {
            let reply = api.comment(message_id, &text.join(" "))?;
            printer.answer(&reply.raw, || render::commented(&reply.value, message_id));
        }
        Command::Report { target, private } => {
            let reply = api.report(&target, private)?;
            printer.answer(&reply.raw, || render::reported(&reply.value, &target, zone));
        }
        Command::Chat => chat::run(&mut api, &user, &key, printer)?,
    }
    Ok(())
}
