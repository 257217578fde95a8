//! `agora chat`: interactive mode on one keep-alive socket. Stdin is read on
//! its own thread and handed over a channel, so the main loop can poll
//! `/connect` for the current chat every second while the user is idle.

use crate::api::{Api, Reply};
use crate::failure::Failure;
use crate::output::Printer;
use crate::render;
use crate::wire::ConnectReply;
use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const POLL_EVERY: Duration = Duration::from_secs(1);

pub const HELP: &str = "\
commands:
  TEXT                  post TEXT to the public chat (//TEXT posts /TEXT)
  /to USER TEXT         send TEXT privately to USER
  /read [USER]          show the chat with USER (default: public) and follow it
  /comment ID TEXT      comment on message ID
  /report USER [private]  report USER (in the public chat, or your private chat)
  /status               your chats, unread counts, cautions, quota
  /help                 this list
  /quit                 leave (end of input does too)";

/// One line typed in chat mode.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Nothing,
    Public(String),
    To {
        user: String,
        text: String,
    },
    /// `None`: the public chat.
    Read(Option<String>),
    Comment {
        message_id: u64,
        text: String,
    },
    Report {
        user: String,
        private: bool,
    },
    Status,
    Help,
    Quit,
}

/// Reads a typed line; `Err` is the usage message to show.
pub fn parse(line: &str) -> Result<Line, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(Line::Nothing);
    }
    if let Some(escaped) = line.strip_prefix("//") {
        return Ok(Line::Public(format!("/{escaped}")));
    }
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Line::Public(line.to_owned()));
    };
    let (name, rest) = split_word(command);
    let usage = |text: &str| Err(format!("usage: {text}"));
    match name {
        "to" => match split_word(rest) {
            (user, text) if !user.is_empty() && !text.trim().is_empty() => Ok(Line::To {
                user: user.to_owned(),
                text: text.to_owned(),
            }),
            _ => usage("/to USER TEXT"),
        },
        "read" => match split_word(rest) {
            ("", _) => Ok(Line::Read(None)),
            (user, "") if user == agora_core::api::PUBLIC_CHAT_NAME => Ok(Line::Read(None)),
            (user, "") => Ok(Line::Read(Some(user.to_owned()))),
            _ => usage("/read [USER]"),
        },
        "comment" => match split_word(rest) {
            (id, text) if !text.trim().is_empty() => match id.parse() {
                Ok(message_id) => Ok(Line::Comment {
                    message_id,
                    text: text.to_owned(),
                }),
                Err(_) => usage("/comment ID TEXT (ID is a message number)"),
            },
            _ => usage("/comment ID TEXT"),
        },
        "report" => match split_word(rest) {
            (user, kind) if !user.is_empty() => match kind.trim() {
                "" | "public" => Ok(Line::Report {
                    user: user.to_owned(),
                    private: false,
                }),
                "private" => Ok(Line::Report {
                    user: user.to_owned(),
                    private: true,
                }),
                _ => usage("/report USER [private]"),
            },
            _ => usage("/report USER [private]"),
        },
        "status" if rest.trim().is_empty() => Ok(Line::Status),
        "help" if rest.trim().is_empty() => Ok(Line::Help),
        "quit" | "exit" if rest.trim().is_empty() => Ok(Line::Quit),
        "status" | "help" | "quit" | "exit" => usage(&format!("/{name}")),
        _ => Err(format!("unknown command /{name}; /help lists them")),
    }
}

/// The first word and the rest after the whitespace that follows it.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// Runs until `/quit` or the end of input. Refusals are shown and the
/// session goes on; a server that cannot be reached ends it (exit code 3).
pub fn run(api: &mut Api, me: &str, server: &str, printer: Printer) -> Result<(), Failure> {
    let lines = read_stdin();
    let mut session = Session {
        api,
        printer,
        chat: None,
    };
    // Nothing is said to be connected before the server has answered; a
    // refusal here (an unknown token) ends the session too.
    let first = session.api.connect(None, None)?;
    printer.note(&format!(
        "connected to {server} as {me}; /help lists the commands"
    ));
    session.show_chat(&first);
    let mut next_poll = Instant::now() + POLL_EVERY;
    loop {
        let wait = next_poll.saturating_duration_since(Instant::now());
        match lines.recv_timeout(wait) {
            Ok(line) => match parse(&line) {
                Ok(Line::Quit) => return Ok(()),
                Ok(line) => session.handle(line)?,
                Err(usage) => session.show(Err(Failure::Usage(usage)))?,
            },
            Err(RecvTimeoutError::Timeout) => {
                session.poll()?;
                next_poll = Instant::now() + POLL_EVERY;
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

/// Lines of stdin on a channel; the channel closes at end of input (or on a
/// read error, which ends the session the same way). Bytes that are not
/// UTF-8 become U+FFFD rather than ending the session.
fn read_stdin() -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            if tx
                .send(text.trim_end_matches(['\r', '\n']).to_owned())
                .is_err()
            {
                break;
            }
        }
    });
    rx
}

struct Session<'a> {
    api: &'a mut Api,
    printer: Printer,
    /// The chat being followed; `None`: the public chat.
    chat: Option<String>,
}

impl Session<'_> {
    fn handle(&mut self, line: Line) -> Result<(), Failure> {
        let (printer, zone) = (self.printer, self.printer.zone);
        match line {
            Line::Nothing | Line::Quit => Ok(()),
            Line::Help => {
                printer.note(HELP);
                Ok(())
            }
            Line::Public(text) => {
                let reply = self.api.send(None, &text);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::sent(&r.value, None, zone));
                }))
            }
            Line::To { user, text } => {
                let reply = self.api.send(Some(&user), &text);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::sent(&r.value, Some(&user), zone));
                }))
            }
            Line::Read(chat) => self.open(chat),
            Line::Comment { message_id, text } => {
                let reply = self.api.comment(message_id, &text);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::commented(&r.value, message_id));
                }))
            }
            Line::Report { user, private } => {
                let reply = self.api.report(&user, private);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::reported(&r.value, &user, zone));
                }))
            }
            Line::Status => {
                let reply = self.api.status();
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::status(&r.value, zone));
                }))
            }
        }
    }

    /// Shows a chat's history and unread messages and follows it from now on
    /// (if the server accepted it).
    fn open(&mut self, chat: Option<String>) -> Result<(), Failure> {
        let reply = self.api.connect(chat.as_deref(), None);
        let opened = reply.is_ok();
        self.show(reply.map(|r| self.show_chat(&r)))?;
        if opened {
            self.chat = chat;
        }
        Ok(())
    }

    /// A chat's title, history and unread messages.
    fn show_chat(&self, reply: &Reply<ConnectReply>) {
        let printer = self.printer;
        printer.note(&format!(
            "--- {} ---",
            render::chat_title(&reply.value.chat)
        ));
        printer.answer(&reply.raw, || render::connect(&reply.value, printer.zone));
    }

    /// New messages of the followed chat. History is asked for as one message
    /// (the least the API allows) and not shown.
    fn poll(&mut self) -> Result<(), Failure> {
        let printer = self.printer;
        let reply = self.api.connect(self.chat.as_deref(), Some(1));
        self.show(reply.map(|r| {
            if !r.value.unread_messages.is_empty() {
                printer.answer(&r.raw, || render::unread(&r.value, printer.zone));
            }
        }))
    }

    /// A refusal or a usage slip is shown and the session goes on; a broken
    /// connection ends it.
    fn show(&self, result: Result<(), Failure>) -> Result<(), Failure> {
        match result {
            Err(failure @ Failure::Unreachable(_)) => Err(failure),
            Err(failure) => {
                self.printer.failure(&failure);
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_go_to_the_public_chat() {
        assert_eq!(parse("hello there"), Ok(Line::Public("hello there".into())));
        assert_eq!(parse("  indented\r"), Ok(Line::Public("  indented".into())));
        assert_eq!(
            parse("//to is a word"),
            Ok(Line::Public("/to is a word".into()))
        );
        assert_eq!(parse("   "), Ok(Line::Nothing));
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse("/to bob hi  there"),
            Ok(Line::To {
                user: "bob".into(),
                text: "hi  there".into()
            })
        );
        assert_eq!(parse("/read"), Ok(Line::Read(None)));
        assert_eq!(parse("/read public_chat"), Ok(Line::Read(None)));
        assert_eq!(parse("/read bob"), Ok(Line::Read(Some("bob".into()))));
        assert_eq!(
            parse("/comment 18 +1"),
            Ok(Line::Comment {
                message_id: 18,
                text: "+1".into()
            })
        );
        assert_eq!(
            parse("/report bob private"),
            Ok(Line::Report {
                user: "bob".into(),
                private: true
            })
        );
        assert_eq!(
            parse("/report bob"),
            Ok(Line::Report {
                user: "bob".into(),
                private: false
            })
        );
        assert_eq!(parse("/status"), Ok(Line::Status));
        assert_eq!(parse("/help"), Ok(Line::Help));
        assert_eq!(parse("/quit"), Ok(Line::Quit));
    }

    #[test]
    fn slips_get_usage_messages() {
        for (line, expected) in [
            ("/to bob", "usage: /to USER TEXT"),
            ("/to", "usage: /to USER TEXT"),
            ("/read bob extra", "usage: /read [USER]"),
            (
                "/comment x hi",
                "usage: /comment ID TEXT (ID is a message number)",
            ),
            ("/comment 18", "usage: /comment ID TEXT"),
            ("/report bob loudly", "usage: /report USER [private]"),
            ("/report", "usage: /report USER [private]"),
            ("/quit now", "usage: /quit"),
            ("/dance", "unknown command /dance; /help lists them"),
        ] {
            assert_eq!(parse(line), Err(expected.to_owned()), "{line}");
        }
    }
}
