//! `agora`: the command-line client. Parses the command line, finds the
//! token, runs one command over one keep-alive connection (`chat` and `watch`
//! wait for events on a second one), and maps the result to an exit code (0
//! ok, 1 refused, 2 usage/no token, 3 unreachable).

mod account;
mod api;
mod chat;
mod cli;
mod failure;
mod feed;
mod hints;
mod http;
mod localtime;
mod output;
mod render;
mod resume;
mod retries;
// (issue 27)
mod rooms;
mod search;
mod server_url;
mod sessions;
mod tokens;
mod watch;
mod wire;

use api::Api;
use clap::Parser;
use cli::{Cli, Command, RoomAction};
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return command_line_error(&e),
    };
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

/// Help and version go out as clap writes them; a usage error gets the
/// `agora:` prefix every other error has, and exit code 2.
fn command_line_error(e: &clap::Error) -> ExitCode {
    let text = e.render().to_string();
    match text.strip_prefix("error: ") {
        Some(why) => eprint!("agora: {why}"),
        None => {
            let _ = e.print();
        }
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

fn run(cli: Cli, printer: Printer) -> Result<(), Failure> {
    let server = ServerUrl::parse(&cli.server).map_err(Failure::Usage)?;
    let dir = tokens::config_dir(|name| std::env::var_os(name)).ok_or_else(|| {
        Failure::Usage("no config directory: set AGORA_CONFIG_DIR or HOME".to_owned())
    })?;
    let mut file = TokenFile::load(&dir).map_err(Failure::Usage)?;
    let http = Connection::new(server.clone(), IO_TIMEOUT);
    let (user, token) = match &cli.command {
        Command::Register { name } => return account::register(http, &mut file, name, printer),
        Command::Login {
            name,
            token: Some(token),
            ..
        } => return account::login(http, &mut file, name, token, printer),
        Command::Login {
            name,
            token: None,
            device,
        } => return sessions::login(http, &mut file, name, device.as_deref(), printer),
        _ => file
            .get(&server, cli.user.as_deref())
            .map_err(|e| Failure::Usage(e.to_string()))?,
    };
    let key = server.to_string();
    let mut api = Api::new(http, Some(token));
    with_saved_token(cli.command, &mut api, &user, &key, printer).map_err(|f| {
        f.with_hint("unauthorized", || {
            format!(
                "{key} does not know the token saved for {user}; save the right one with \
                 `agora login {user} --token TOKEN`"
            )
        })
    })
}

/// The commands that act as a user with a saved token.
fn with_saved_token(
    command: Command,
    api: &mut Api,
    user: &str,
    server: &str,
    printer: Printer,
) -> Result<(), Failure> {
    let zone = printer.zone;
    match command {
        Command::Register { .. } | Command::Login { .. } => {
            unreachable!("these save a token rather than use one")
        }
        Command::Send { to, text } => {
            let reply = api
                .send(to.as_deref(), &text.join(" "))
                .map_err(|f| hints::on_chat(f, to.as_deref().unwrap_or_default()))?;
            printer.answer(&reply.raw, || {
                render::sent(&reply.value, to.as_deref(), zone)
            });
        }
        Command::Read { with, number } => {
            let reply = api
                .connect(with.as_deref(), number)
                .map_err(|f| hints::on_chat(f, with.as_deref().unwrap_or_default()))?;
            printer.answer(&reply.raw, || render::connect(&reply.value, zone, user));
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
        Command::Chat => chat::run(api, user, server, printer)?,
        Command::Watch { since } => watch::run(api, user, server, since, printer)?,
        // (issue 26)
        Command::Edit { id, comment, text } => {
            let reply = api.edit(id, comment, &text.join(" "))?;
            printer.answer(&reply.raw, || {
                render::changes::edited(&reply.value, id, comment, zone)
            });
        }
        Command::Delete { id, comment } => {
            let reply = api.delete(id, comment)?;
            printer.answer(&reply.raw, || render::changes::deleted(id, comment));
        }
        Command::React {
            message_id,
            emoji,
            remove,
        } => {
            let reply = api.react(message_id, &emoji, remove)?;
            printer.answer(&reply.raw, || render::changes::reacted(&reply.value));
        }
        Command::Passwd => sessions::passwd(api, printer)?,
        Command::Sessions => sessions::list(api, printer)?,
        Command::Logout { device } => sessions::logout(api, user, device.as_deref(), printer)?,
        Command::Search { chat, query } => {
            let reply = search::search(api, &query.join(" "), chat.as_deref())?;
            printer.answer(&reply.raw, || search::render(&reply.value, zone, user));
        }
        // v3: rooms, history, the user directory.
        Command::Rooms { prefix } => {
            let reply = api.rooms(prefix.as_deref())?;
            printer.answer(&reply.raw, || render::rooms::rooms(&reply.value));
        }
        Command::Room { action } => room(api, action, printer)?,
        Command::History {
            with,
            before,
            limit,
        } => {
            let chat = with.as_deref().unwrap_or(agora_core::api::PUBLIC_CHAT_NAME);
            let reply = api
                .messages(chat, before, limit)
                .map_err(|f| hints::on_chat(f, chat))?;
            printer.answer(&reply.raw, || {
                render::rooms::history(&reply.value, zone, user)
            });
        }
        Command::Users { prefix } => {
            let reply = api.users(prefix.as_deref(), None)?;
            printer.answer(&reply.raw, || render::rooms::users(&reply.value));
        }
    }
    Ok(())
}

/// `agora room create|join|leave|invite`.
fn room(api: &mut Api, action: RoomAction, printer: Printer) -> Result<(), Failure> {
    let (what, reply) = match action {
        RoomAction::Create {
            room,
            private,
            topic,
        } => {
            let room = rooms::room_name(&room);
            let reply = api.create_room(&room, private, topic.as_deref());
            ("create", reply.map_err(|f| hints::on_room(f, &room))?)
        }
        RoomAction::Join { room } => {
            let room = rooms::room_name(&room);
            (
                "join",
                api.membership(&room, true)
                    .map_err(|f| hints::on_room(f, &room))?,
            )
        }
        RoomAction::Leave { room } => {
            let room = rooms::room_name(&room);
            (
                "leave",
                api.membership(&room, false)
                    .map_err(|f| hints::on_room(f, &room))?,
            )
        }
        RoomAction::Invite { room, target } => {
            let room = rooms::room_name(&room);
            let reply = api.invite(&room, &target);
            ("invite", reply.map_err(|f| hints::on_room(f, &room))?)
        }
    };
    printer.answer(&reply.raw, || render::rooms::room_done(what, &reply.value));
    Ok(())
}
