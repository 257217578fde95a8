//! Human output: local times, authors, message ids, texts, comments indented
//! under their message. Every function returns the text, so tests can read it.

pub mod changes;
pub mod events;
pub mod rooms;

use crate::localtime::Zone;
use crate::wire::{CommentReply, ConnectReply, Message, Refusal, ReportReply, SendReply, Status};
use jiff::{SignedDuration, Timestamp};
use std::fmt::Write;

/// The line between a chat's history and its unread messages.
pub const UNREAD_MARK: &str = "--- unread ---";

/// One message and its comments, each line ending in a newline:
/// `2026-11-29 09:06:05  #17  alice: hi`, then `    ↳ <time>  bob: +1`.
/// (issue 26) An edited text ends in `(edited)`, a deleted one reads
/// `(deleted)`, a message that mentions `me` is marked `@ you`, and its
/// reactions follow on a line of their own.
pub fn message(m: &Message, zone: Zone, me: &str) -> String {
    let mut out = String::new();
    let head = format!(
        "{}  #{}  {}: ",
        zone.format_rfc3339(&m.pub_date),
        m.id,
        clean(&m.author)
    );
    let mentions_me = changes::mentions(&m.mentions, me);
    let text = changes::shown_text(&m.message_text, &m.changes, mentions_me);
    push_text(&mut out, &head, &text);
    if !m.reactions.is_empty() {
        let _ = writeln!(out, "    {}", changes::reactions(&m.reactions));
    }
    for c in &m.comments {
        let head = format!(
            "    ↳ {}  {}: ",
            zone.format_rfc3339(&c.created),
            clean(&c.author)
        );
        let text = changes::shown_text(&c.comment_text, &c.changes, false);
        push_text(&mut out, &head, &text);
    }
    out
}

/// `agora read`: the history, then the unread messages after a mark.
pub fn connect(reply: &ConnectReply, zone: Zone, me: &str) -> String {
    let mut out = String::new();
    for m in &reply.messages {
        out += &message(m, zone, me);
    }
    if !reply.unread_messages.is_empty() {
        out += UNREAD_MARK;
        out.push('\n');
        out += &unread(reply, zone, me);
    }
    if out.is_empty() {
        out += &format!("(no messages in {})\n", chat_title(&reply.chat));
    }
    out
}

/// Only the unread messages (what `agora chat` prints as they arrive).
pub fn unread(reply: &ConnectReply, zone: Zone, me: &str) -> String {
    let mut out = String::new();
    for m in &reply.unread_messages {
        out += &message(m, zone, me);
    }
    if reply.unread_truncated {
        out += "--- more unread messages remain: read again ---\n";
    }
    out
}

pub fn chat_title(chat: &str) -> String {
    if chat == agora_core::api::PUBLIC_CHAT_NAME {
        "the public chat".to_owned()
    } else if chat.starts_with(crate::rooms::ROOM_MARK) {
        format!("the room {}", clean(chat))
    } else {
        format!("the private chat with {}", clean(chat))
    }
}

pub fn status(s: &Status, zone: Zone) -> String {
    let mut out = format!("connected as {}\n", clean(&s.connected_as));
    let _ = writeln!(out, "cautions: {}", s.cautions);
    if let Some(until) = &s.banned_until {
        let _ = writeln!(out, "banned until {}", zone.format_rfc3339(until));
    }
    let _ = write!(out, "public messages left: {}", s.public_messages_left);
    match &s.quota_resets_at {
        Some(at) => {
            let _ = writeln!(out, " (quota resets at {})", zone.format_rfc3339(at));
        }
        None => out.push('\n'),
    }
    out += "chats:\n";
    let width = column_width(s.chats.iter().map(|c| c.name.as_str()));
    for c in &s.chats {
        let _ = writeln!(
            out,
            "  {:<width$}  {:<7}  {}, {}, {} unread{}",
            clean(&c.name),
            c.chat_type,
            counted(c.messages_number, "message"),
            counted(c.users_number, "user"),
            c.unread,
            match c.mentions {
                0 => String::new(),
                n => format!(" ({n} mentioning you)"),
            }
        );
    }
    out
}

/// `agora register` (`how` "registered") and `agora login` ("logged in as").
pub fn token_saved(how: &str, user: &str, server: &str, file: &str) -> String {
    format!("{how} {} on {server}; token saved in {file}\n", clean(user))
}

pub fn sent(reply: &SendReply, to: Option<&str>, zone: Zone) -> String {
    let target = match to {
        Some(user) => format!("to {}", clean(user)),
        None => "to the public chat".to_owned(),
    };
    format!(
        "sent message #{} {target} at {}\n",
        reply.message_id,
        zone.format_rfc3339(&reply.pub_date)
    )
}

pub fn commented(reply: &CommentReply, message_id: u64) -> String {
    format!(
        "added comment #{} to message #{message_id}\n",
        reply.comment_id
    )
}

pub fn reported(reply: &ReportReply, user: &str, zone: Zone) -> String {
    let user = clean(user);
    match (reply.cautions, &reply.banned_until) {
        (None, Some(until)) => format!(
            "{user} is already banned until {}\n",
            zone.format_rfc3339(until)
        ),
        (_, Some(until)) => format!(
            "reported {user}: now banned until {}\n",
            zone.format_rfc3339(until)
        ),
        (Some(n), None) => format!("reported {user}: {}\n", counted(n.into(), "caution")),
        (None, None) => format!("reported {user}: {}\n", clean(&reply.info)),
    }
}

/// The line printed to stderr for a 4xx/5xx: the server's sentence, with
/// the request field it names spelled as on the command line, its code, when
/// to retry (on the local clock) for quota and ban refusals, and the client's
/// hint of what to do.
pub fn refusal(r: &Refusal, now: Timestamp, zone: Zone) -> String {
    let sentence = match (&r.warning, &r.error) {
        (Some(text), _) | (None, Some(text)) => clean(text),
        (None, None) => format!("the server answered HTTP {}", r.status),
    };
    let field = r.field.as_deref().map(clean);
    let argument = field.as_deref().and_then(argument_for);
    let mut out = match (&field, argument) {
        (Some(field), Some(argument)) if sentence.contains(&format!("`{field}`")) => {
            sentence.replace(&format!("`{field}`"), argument)
        }
        (Some(_), Some(argument)) => format!("{argument}: {sentence}"),
        _ => sentence,
    };
    match (r.code.as_deref().map(clean), &field, argument) {
        (Some(code), Some(field), None) => {
            let _ = write!(out, " ({code}, field {field})");
        }
        (Some(code), _, _) => {
            let _ = write!(out, " ({code})");
        }
        (None, _, _) => {}
    }
    if let Some(secs) = r.retry_after {
        let _ = write!(out, "; retry in {secs} s");
        let wait = SignedDuration::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
        if let Ok(at) = now.saturating_add(wait) {
            let _ = write!(out, " (at {})", zone.format(at));
        }
    }
    if let Some(hint) = &r.hint {
        let _ = write!(out, "; {hint}");
    }
    format!("agora: {out}\n")
}

/// How the command line spells what the API calls `field`.
fn argument_for(field: &str) -> Option<&'static str> {
    Some(match field {
        "messages_number" => "-n/--number",
        "send_to" => "--to",
        "chat_with" => "--with",
        "chat_type" => "--private",
        "user_name" => "NAME",
        "report_on" => "USER",
        "message" | "comment" => "TEXT",
        "message_id" => "MESSAGE_ID",
        // v3: rooms, history, the user directory.
        "room" => "ROOM",
        "visibility" => "--private",
        "topic" => "--topic",
        "chat" => "--with",
        "before" => "--before",
        "limit" => "--limit",
        "q" => "PREFIX",
        _ => return None,
    })
}

/// `1 message`, `2 messages`.
fn counted(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// Adds `head` + `text`, continuation lines indented under the text.
fn push_text(out: &mut String, head: &str, text: &str) {
    let indent = " ".repeat(head.chars().count());
    out.push_str(head);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&indent);
        }
        out.push_str(&clean(line));
    }
    out.push('\n');
}

/// The width, in characters, of a column holding `names`, so the columns
/// after it line up.
pub fn column_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(|name| name.chars().count()).max().unwrap_or(0)
}

/// `text` on one line, each of its lines cleaned and their breaks shown as
/// ` ↵ `: a `watch` line or a chat's list holds one event each.
pub fn one_line(text: &str) -> String {
    text.split('\n')
        .map(|line| clean(line.strip_suffix('\r').unwrap_or(line)))
        .collect::<Vec<_>>()
        .join(" ↵ ")
}

/// Text from other users reaches a terminal: control characters (escape
/// sequences could rewrite the screen) become U+FFFD; tabs stay.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect_sample() -> ConnectReply {
        serde_json::from_str(
            r#"{"chat":"public_chat","messages":[
                {"id":17,"author":"alice","pub_date":"2026-11-29T08:06:05.123Z","message_text":"hi",
                 "comments":[{"id":3,"author":"bob","created":"2026-11-29T08:07:00.000Z","comment_text":"+1"}]}],
               "unread_messages":[
                {"id":18,"author":"bob","pub_date":"2026-11-29T08:08:00.000Z","message_text":"two\nlines","comments":[]}],
               "unread_truncated":false}"#,
        )
        .unwrap()
    }

    #[test]
    fn read_shows_history_then_marked_unread_with_comments_indented() {
        let text = connect(&connect_sample(), Zone::Utc, "carol");
        assert_eq!(
            text,
            "2026-11-29 08:06:05  #17  alice: hi\n\
             \x20   ↳ 2026-11-29 08:07:00  bob: +1\n\
             --- unread ---\n\
             2026-11-29 08:08:00  #18  bob: two\n\
             \x20                              lines\n"
        );
    }

    #[test]
    fn empty_chats_and_truncation_are_said() {
        let mut reply = connect_sample();
        reply.messages.clear();
        reply.unread_messages.clear();
        assert_eq!(
            connect(&reply, Zone::Utc, "carol"),
            "(no messages in the public chat)\n"
        );
        reply.chat = "bob".into();
        assert_eq!(
            connect(&reply, Zone::Utc, "carol"),
            "(no messages in the private chat with bob)\n"
        );
        let mut reply = connect_sample();
        reply.unread_truncated = true;
        assert!(unread(&reply, Zone::Utc, "carol").ends_with("read again ---\n"));
        assert!(!unread(&reply, Zone::Utc, "carol").contains("#17"));
    }

    #[test]
    fn control_characters_do_not_reach_the_terminal() {
        let mut reply = connect_sample();
        reply.messages[0].message_text = "a\x1b[2Jb\rc\td".into();
        let text = connect(&reply, Zone::Utc, "carol");
        assert!(
            text.contains("alice: a\u{FFFD}[2Jb\u{FFFD}c\td\n"),
            "{text}"
        );
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn status_lists_chats_and_quota() {
        let s: Status = serde_json::from_str(
            r#"{"connected_as":"alice","cautions":1,"banned_until":null,
                "public_messages_left":19,"quota_resets_at":"2026-11-29T09:06:05.000Z",
                "chats":[{"chat_type":"public","name":"public_chat","created":"2026-11-29T08:00:00Z",
                          "messages_number":42,"users_number":3,"unread":5},
                         {"chat_type":"private","name":"bob","created":"2026-11-29T08:00:00Z",
                          "messages_number":1,"users_number":2,"unread":0}]}"#,
        )
        .unwrap();
        assert_eq!(
            status(&s, Zone::Utc),
            "connected as alice\n\
             cautions: 1\n\
             public messages left: 19 (quota resets at 2026-11-29 09:06:05)\n\
             chats:\n\
             \x20 public_chat  public   42 messages, 3 users, 5 unread\n\
             \x20 bob          private  1 message, 2 users, 0 unread\n"
        );
    }

    #[test]
    fn refusals_say_when_to_retry() {
        let quota = Refusal::new(
            429,
            br#"{"warning":"public message quota exceeded","code":"quota_exceeded","retry_after":90}"#
                .to_vec(),
            None,
        );
        let now = Timestamp::from_second(1_795_939_565).unwrap();
        assert_eq!(
            refusal(&quota, now, Zone::Utc),
            "agora: public message quota exceeded (quota_exceeded); \
             retry in 90 s (at 2026-11-29 08:07:35)\n"
        );
        let bare = Refusal::new(502, Vec::new(), None);
        assert_eq!(
            refusal(&bare, now, Zone::Utc),
            "agora: the server answered HTTP 502\n"
        );
        let mut hinted = Refusal::new(
            401,
            br#"{"error":"unknown token","code":"unauthorized"}"#.to_vec(),
            None,
        );
        hinted.hint = Some("log in again".into());
        assert_eq!(
            refusal(&hinted, now, Zone::Utc),
            "agora: unknown token (unauthorized); log in again\n"
        );
    }

    #[test]
    fn refusals_name_the_argument_not_the_api_field() {
        let refused = |body: &str| {
            refusal(
                &Refusal::new(400, body.as_bytes().to_vec(), None),
                Timestamp::UNIX_EPOCH,
                Zone::Utc,
            )
        };
        assert_eq!(
            refused(
                r#"{"error":"`messages_number` must be from 1 to 100","code":"invalid_messages_number","field":"messages_number"}"#
            ),
            "agora: -n/--number must be from 1 to 100 (invalid_messages_number)\n"
        );
        assert_eq!(
            refused(r#"{"error":"bad name","code":"invalid_user_name","field":"user_name"}"#),
            "agora: NAME: bad name (invalid_user_name)\n"
        );
        assert_eq!(
            refused(r#"{"error":"`x` is odd","code":"invalid_field","field":"x"}"#),
            "agora: `x` is odd (invalid_field, field x)\n"
        );
    }

    #[test]
    fn confirmations() {
        let sent_reply = SendReply {
            message_id: 18,
            pub_date: "2026-11-29T08:06:05.123Z".into(),
        };
        assert_eq!(
            sent(&sent_reply, Some("bob"), Zone::Utc),
            "sent message #18 to bob at 2026-11-29 08:06:05\n"
        );
        assert_eq!(
            commented(&CommentReply { comment_id: 3 }, 18),
            "added comment #3 to message #18\n"
        );
        let banned = ReportReply {
            info: "user is already banned".into(),
            cautions: None,
            banned_until: Some("2026-11-29T12:06:05.000Z".into()),
        };
        assert_eq!(
            reported(&banned, "bob", Zone::Utc),
            "bob is already banned until 2026-11-29 12:06:05\n"
        );
        let counted = ReportReply {
            info: "report accepted".into(),
            cautions: Some(2),
            banned_until: None,
        };
        assert_eq!(
            reported(&counted, "bob", Zone::Utc),
            "reported bob: 2 cautions\n"
        );
        let first = ReportReply {
            cautions: Some(1),
            ..counted
        };
        assert_eq!(
            reported(&first, "bob", Zone::Utc),
            "reported bob: 1 caution\n"
        );
    }
}
