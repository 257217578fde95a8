//! `agora chat`: interactive mode. Commands go on one keep-alive socket; the
//! user's events come on a second one, where the feed long-polls. Stdin and
//! the feed are read on threads of their own and handed over one channel, so
//! the main loop shows a new message the moment it arrives, then marks it read.

use crate::api::{Api, Reply};
use crate::failure::Failure;
use crate::feed::{Delivered, Feed};
use crate::output::Printer;
use crate::render;
use crate::resume::Resuming;
use crate::wire::{ConnectReply, EventKind};
use agora_core::api::PUBLIC_CHAT_NAME;
use std::collections::HashSet;
use std::io::BufRead;
use std::sync::mpsc::{self, Sender};

/// Attempts to resume the feed after its connection broke (a few seconds of
/// growing waits, enough for a server restart) before the session ends as one
/// whose server cannot be reached.
const RECONNECTS: u32 = 5;

pub const HELP: &str = "\
commands:
  TEXT                  post TEXT to the public chat (//TEXT posts /TEXT)
  /to USER TEXT         send TEXT privately to USER (or to a #room)
  /read [USER]          show the chat with USER or a #room (default: public) and follow it
  /comment ID TEXT      comment on message ID
  /report USER [private]  report USER (in the public chat, or your private chat)
  /edit ID TEXT         replace the text of your message ID
  /delete ID            delete your message ID
  /react ID EMOJI [remove]  react to message ID (or take it back)
  /status               your chats, unread counts, cautions, quota
  /rooms [PREFIX]       the rooms you can see
  /join ROOM            join ROOM and follow it; /leave ROOM leaves it
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
    // (issue 26)
    Edit {
        message_id: u64,
        text: String,
    },
    Delete(u64),
    React {
        message_id: u64,
        emoji: String,
        remove: bool,
    },
    // v3 rooms.
    Rooms(Option<String>),
    /// `/join` (true) or `/leave` (false) a room, named with or without `#`.
    Membership {
        room: String,
        join: bool,
    },
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
            (user, "") if user == PUBLIC_CHAT_NAME => Ok(Line::Read(None)),
            (user, "") => Ok(Line::Read(Some(user.to_owned()))),
            _ => usage("/read [USER]"),
        },
        "comment" => id_and_text(name, rest, |message_id, text| Line::Comment {
            message_id,
            text,
        }),
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
        // (issue 26)
        "edit" => id_and_text(name, rest, |message_id, text| Line::Edit {
            message_id,
            text,
        }),
        "delete" => match split_word(rest) {
            (id, "") => match id.parse() {
                Ok(message_id) => Ok(Line::Delete(message_id)),
                Err(_) => usage("/delete ID (ID is a message number)"),
            },
            _ => usage("/delete ID"),
        },
        "react" => {
            let (id, rest) = split_word(rest);
            let (emoji, flag) = split_word(rest);
            match (id.parse(), emoji, flag.trim()) {
                (Ok(message_id), emoji, flag @ ("" | "remove")) if !emoji.is_empty() => {
                    Ok(Line::React {
                        message_id,
                        emoji: emoji.to_owned(),
                        remove: flag == "remove",
                    })
                }
                _ => usage("/react ID EMOJI [remove]"),
            }
        }
        "rooms" => match split_word(rest) {
            (prefix, "") => Ok(Line::Rooms((!prefix.is_empty()).then(|| prefix.to_owned()))),
            _ => usage("/rooms [PREFIX]"),
        },
        "join" | "leave" => match split_word(rest) {
            (room, "") if !room.is_empty() => Ok(Line::Membership {
                room: crate::rooms::room_name(room),
                join: name == "join",
            }),
            _ => usage(&format!("/{name} ROOM")),
        },
        "status" if rest.trim().is_empty() => Ok(Line::Status),
        "help" if rest.trim().is_empty() => Ok(Line::Help),
        "quit" | "exit" if rest.trim().is_empty() => Ok(Line::Quit),
        "status" | "help" | "quit" | "exit" => usage(&format!("/{name}")),
        _ => Err(format!("unknown command /{name}; /help lists them")),
    }
}

/// The first word and the rest after the whitespace that follows it.
/// `/comment` and `/edit` (`name`), which take a message number and a
/// text: the line `line` makes of them, or the usage message to show.
fn id_and_text(name: &str, rest: &str, line: fn(u64, String) -> Line) -> Result<Line, String> {
    match split_word(rest) {
        (id, text) if !text.trim().is_empty() => match id.parse() {
            Ok(message_id) => Ok(line(message_id, text.to_owned())),
            Err(_) => Err(format!("usage: /{name} ID TEXT (ID is a message number)")),
        },
        _ => Err(format!("usage: /{name} ID TEXT")),
    }
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// What the main loop waits for: a typed line, events, or the end of either.
enum Arrival {
    Line(String),
    EndOfInput,
    Events(Vec<Delivered>),
    /// The feed broke off and could not be resumed soon.
    FeedLost(Failure),
}

/// Runs until `/quit` or the end of input. Refusals are shown and the
/// session goes on; a server that cannot be reached ends it (exit code 3).
pub fn run(api: &mut Api, me: &str, server: &str, printer: Printer) -> Result<(), Failure> {
    // The feed starts at the head before the chat is read, so that what comes
    // between the two is in one or the other (shown once: see `deliver`).
    let mut feed = Feed::new(api, None);
    feed.start()?;
    // Nothing is said to be connected before the server has answered; a
    // refusal here (an unknown token) ends the session too.
    let first = api.connect(None, None)?;
    printer.note(&format!(
        "connected to {server} as {me}; /help lists the commands"
    ));
    let (tx, arrivals) = mpsc::channel();
    read_stdin(tx.clone());
    follow(Resuming::new(feed, Some(RECONNECTS), printer.zone), tx);
    let mut session = Session {
        api,
        printer,
        me,
        followed: Followed::default(),
        sent: HashSet::new(),
        commented: HashSet::new(),
    };
    session.show_chat(&first);
    // Each thread says why it stops (end of input, a lost feed) before it does.
    while let Ok(arrival) = arrivals.recv() {
        match arrival {
            Arrival::Line(line) => match parse(&line) {
                Ok(Line::Quit) => return Ok(()),
                Ok(line) => session.handle(line)?,
                Err(usage) => session.show(Err(Failure::Usage(usage)))?,
            },
            Arrival::EndOfInput => return Ok(()),
            Arrival::Events(events) => session.deliver(&events)?,
            Arrival::FeedLost(failure) => return Err(failure),
        }
    }
    Ok(())
}

/// Lines of stdin on the channel, then `EndOfInput` at its end (or at a read
/// error, which ends the session the same way). Bytes that are not UTF-8
/// become U+FFFD rather than ending the session.
fn read_stdin(tx: Sender<Arrival>) {
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
            let text = text.trim_end_matches(['\r', '\n']).to_owned();
            if tx.send(Arrival::Line(text)).is_err() {
                return;
            }
        }
        let _ = tx.send(Arrival::EndOfInput);
    });
}

/// The feed's events on the channel as they come, on a thread of its own
/// (a long-poll holds its connection while the user types on the other).
fn follow(mut feed: Resuming, tx: Sender<Arrival>) {
    std::thread::spawn(move || loop {
        let arrival = match feed.next() {
            Ok(events) if events.is_empty() => continue,
            Ok(events) => Arrival::Events(events),
            Err(failure) => {
                let _ = tx.send(Arrival::FeedLost(failure));
                return;
            }
        };
        if tx.send(arrival).is_err() {
            return;
        }
    });
}

/// The chat being followed and how far it has been shown.
#[derive(Debug, Default)]
struct Followed {
    /// As events name it: `public_chat`, or the other member of a private chat.
    chat: String,
    /// The newest message shown: events up to it were shown by `/connect`.
    shown_up_to: u64,
    /// Whether everything unread up to `shown_up_to` was shown, so that
    /// marking read up to a newer message hides nothing unseen.
    caught_up: bool,
}

struct Session<'a> {
    api: &'a mut Api,
    printer: Printer,
    me: &'a str,
    followed: Followed,
    /// Messages and comments sent in this session: their confirmation was
    /// shown, so their events are not.
    sent: HashSet<u64>,
    commented: HashSet<u64>,
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
            Line::Public(text) => self.send(None, &text),
            Line::To { user, text } => self.send(Some(&user), &text),
            Line::Read(chat) => self.open(chat),
            Line::Comment { message_id, text } => {
                let reply = self.api.comment(message_id, &text);
                if let Ok(r) = &reply {
                    self.commented.insert(r.value.comment_id);
                }
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
            Line::Edit { message_id, text } => {
                let reply = self.api.edit(message_id, false, &text);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || {
                        render::changes::edited(&r.value, message_id, false, zone)
                    });
                }))
            }
            Line::Delete(message_id) => {
                let reply = self.api.delete(message_id, false);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::changes::deleted(message_id, false));
                }))
            }
            Line::React {
                message_id,
                emoji,
                remove,
            } => {
                let reply = self.api.react(message_id, &emoji, remove);
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::changes::reacted(&r.value));
                }))
            }
            Line::Status => {
                let reply = self.api.status();
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::status(&r.value, zone));
                }))
            }
            Line::Rooms(prefix) => {
                let reply = self.api.rooms(prefix.as_deref());
                self.show(reply.map(|r| {
                    printer.answer(&r.raw, || render::rooms::rooms(&r.value));
                }))
            }
            Line::Membership { room, join } => {
                let reply = self.api.membership(&room, join);
                let what = if join { "join" } else { "leave" };
                let joined = match reply {
                    Ok(r) => {
                        printer.answer(&r.raw, || render::rooms::room_done(what, &r.value));
                        join.then_some(r.value.room)
                    }
                    Err(failure) => {
                        self.show(Err(crate::hints::on_room(failure, &room)))?;
                        None
                    }
                };
                // A room just joined is followed, as `/read` would.
                match joined {
                    Some(room) => self.open(Some(room)),
                    None => Ok(()),
                }
            }
        }
    }

    /// Sends a message (`to`: `None` for the public chat) and confirms it;
    /// its event, when it comes, is not shown again.
    fn send(&mut self, to: Option<&str>, text: &str) -> Result<(), Failure> {
        let (printer, zone) = (self.printer, self.printer.zone);
        let reply = self.api.send(to, text);
        if let Ok(r) = &reply {
            self.sent.insert(r.value.message_id);
        }
        self.show(reply.map(|r| {
            printer.answer(&r.raw, || render::sent(&r.value, to, zone));
        }))
    }

    /// Shows a chat's history and unread messages and follows it from now on
    /// (if the server accepted it).
    fn open(&mut self, chat: Option<String>) -> Result<(), Failure> {
        match self.api.connect(chat.as_deref(), None) {
            Ok(reply) => {
                self.show_chat(&reply);
                Ok(())
            }
            Err(failure) => self.show(Err(failure)),
        }
    }

    /// A chat's title, history and unread messages; it is followed from now on.
    fn show_chat(&mut self, reply: &Reply<ConnectReply>) {
        let printer = self.printer;
        printer.note(&format!(
            "--- {} ---",
            render::chat_title(&reply.value.chat)
        ));
        let me = self.me;
        printer.answer(&reply.raw, || {
            render::connect(&reply.value, printer.zone, me)
        });
        let shown = reply
            .value
            .messages
            .iter()
            .chain(&reply.value.unread_messages);
        self.followed = Followed {
            chat: reply.value.chat.clone(),
            shown_up_to: shown.map(|m| m.id).max().unwrap_or(0),
            caught_up: !reply.value.unread_truncated,
        };
    }

    /// Shows what the events bring to the followed chat (messages not shown
    /// yet, comments, a ban), says briefly that a private message came in
    /// elsewhere, and marks what it showed as read.
    fn deliver(&mut self, events: &[Delivered]) -> Result<(), Failure> {
        let (printer, zone) = (self.printer, self.printer.zone);
        let mut newest_shown = None;
        for Delivered { event, raw } in events {
            let raw = raw.get().as_bytes();
            match &event.kind {
                EventKind::Message {
                    chat_type,
                    chat,
                    message,
                } if self.follows(chat_type, chat) => {
                    if self.sent.remove(&message.id) || message.id <= self.followed.shown_up_to {
                        continue;
                    }
                    self.followed.shown_up_to = message.id;
                    newest_shown = Some(message.id);
                    printer.answer(raw, || render::message(message, zone, self.me));
                }
                EventKind::Message {
                    chat_type,
                    chat,
                    message,
                } => {
                    let mine = message.author.eq_ignore_ascii_case(self.me);
                    if (chat_type == "private" || chat_type == "room") && !mine {
                        printer.note(&render::events::elsewhere(chat, message));
                    }
                }
                EventKind::Comment {
                    chat_type,
                    chat,
                    message_id,
                    comment,
                } if self.follows(chat_type, chat) && !self.commented.remove(&comment.id) => {
                    printer.answer(raw, || {
                        render::events::comment_on(*message_id, comment, zone)
                    });
                }
                EventKind::Banned { banned_until } => {
                    printer.answer(raw, || render::events::banned(banned_until, zone));
                }
                // (issue 26) Changes to the followed chat, as `watch` says them.
                EventKind::Edited {
                    chat_type, chat, ..
                }
                | EventKind::Deleted {
                    chat_type, chat, ..
                }
                | EventKind::Reaction {
                    chat_type, chat, ..
                } if self.follows(chat_type, chat) => {
                    let line = render::events::line(event, zone, self.me);
                    printer.answer(raw, || render::changes::in_chat(&line));
                }
                EventKind::Member {
                    chat,
                    user_name,
                    action,
                } if self.follows("room", chat) || user_name.eq_ignore_ascii_case(self.me) => {
                    printer.answer(raw, || render::rooms::member(chat, user_name, action));
                }
                EventKind::Comment { .. }
                | EventKind::Edited { .. }
                | EventKind::Deleted { .. }
                | EventKind::Reaction { .. }
                | EventKind::Member { .. }
                | EventKind::Other => {}
            }
        }
        match newest_shown {
            Some(up_to) if self.followed.caught_up => {
                let chat = &self.followed.chat;
                let chat_with = (chat != PUBLIC_CHAT_NAME).then_some(chat.as_str());
                let read = self.api.read(chat_with, up_to);
                self.show(read.map(|_| ()))
            }
            _ => Ok(()),
        }
    }

    /// Whether an event's chat is the one followed.
    fn follows(&self, chat_type: &str, chat: &str) -> bool {
        let public = self.followed.chat == PUBLIC_CHAT_NAME;
        chat == self.followed.chat && (chat_type == "public") == public
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
        assert_eq!(
            parse("/edit 18 new  text"),
            Ok(Line::Edit {
                message_id: 18,
                text: "new  text".into()
            })
        );
        assert_eq!(parse("/delete 18"), Ok(Line::Delete(18)));
        assert_eq!(
            parse("/react 18 👍 remove"),
            Ok(Line::React {
                message_id: 18,
                emoji: "👍".into(),
                remove: true
            })
        );
        assert!(parse("/react 18").is_err());
        assert!(parse("/react 18 👍 later").is_err());
        assert!(parse("/delete x").is_err());
        assert_eq!(parse("/status"), Ok(Line::Status));
        assert_eq!(parse("/help"), Ok(Line::Help));
        assert_eq!(parse("/quit"), Ok(Line::Quit));
        assert_eq!(parse("/rooms"), Ok(Line::Rooms(None)));
        assert_eq!(parse("/rooms de"), Ok(Line::Rooms(Some("de".into()))));
        assert_eq!(
            parse("/join design"),
            Ok(Line::Membership {
                room: "#design".into(),
                join: true
            })
        );
        assert_eq!(
            parse("/leave #design"),
            Ok(Line::Membership {
                room: "#design".into(),
                join: false
            })
        );
        assert_eq!(
            parse("/read #design"),
            Ok(Line::Read(Some("#design".into())))
        );
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
            ("/join", "usage: /join ROOM"),
            ("/leave a b", "usage: /leave ROOM"),
            ("/dance", "unknown command /dance; /help lists them"),
        ] {
            assert_eq!(parse(line), Err(expected.to_owned()), "{line}");
        }
    }
}
