//! Events of `GET /events` for people: one line each for `agora watch`, and
//! what `agora chat` shows of them.

use super::{changes, chat_title, clean, one_line};
use crate::localtime::Zone;
use crate::wire::{Comment, Event, EventKind, Message};

/// `agora watch`: one line per event, saying when, which chat, who and what:
/// `2026-11-29 09:06:05  public  #17  alice: hi`,
/// `2026-11-29 09:07:00  private with bob  comment on #17  bob: +1`,
/// `you are banned until 2026-11-29 13:06:05`. A text's own line breaks are
/// shown as ` ↵ `, so that an event stays on one line.
pub fn line(event: &Event, zone: Zone, me: &str) -> String {
    match &event.kind {
        EventKind::Message {
            chat_type,
            chat,
            message,
        } => format!(
            "{}  {}  #{}  {}: {}\n",
            zone.format_rfc3339(&message.pub_date),
            chat_label(chat_type, chat),
            message.id,
            clean(&message.author),
            one_line(&changes::shown_text(
                &message.message_text,
                &message.changes,
                changes::mentions(&message.mentions, me),
            ))
        ),
        EventKind::Comment {
            chat_type,
            chat,
            message_id,
            comment,
        } => format!(
            "{}  {}  comment on #{message_id}  {}: {}\n",
            zone.format_rfc3339(&comment.created),
            chat_label(chat_type, chat),
            clean(&comment.author),
            one_line(&comment.comment_text)
        ),
        EventKind::Banned { banned_until } => banned(banned_until, zone),
        // (issue 26)
        EventKind::Edited {
            chat_type,
            chat,
            changed,
        } => changes::change_line("edited", &chat_label(chat_type, chat), changed, me),
        EventKind::Deleted {
            chat_type,
            chat,
            changed,
        } => changes::change_line("deleted", &chat_label(chat_type, chat), changed, me),
        EventKind::Reaction {
            chat_type,
            chat,
            message_id,
            reactions,
        } => changes::reaction_line(&chat_label(chat_type, chat), *message_id, reactions),
        EventKind::Member {
            chat,
            user_name,
            action,
        } => format!("room  {}", super::rooms::member(chat, user_name, action)),
        EventKind::Other => format!(
            "an event of a kind agora does not know (event cursor {}; --json shows it)\n",
            event.id
        ),
    }
}

/// `agora chat`: a comment on a message of the chat being followed, as
/// comments are shown under their message, with the message's number.
pub fn comment_on(message_id: u64, comment: &Comment, zone: Zone) -> String {
    format!(
        "    ↳ {}  {} on #{message_id}: {}\n",
        zone.format_rfc3339(&comment.created),
        clean(&comment.author),
        one_line(&comment.comment_text)
    )
}

/// `agora chat`: a private message in a chat other than the one followed.
pub fn elsewhere(chat: &str, message: &Message) -> String {
    format!(
        "(new message #{} from {} in {}; /read {} follows it)",
        message.id,
        clean(&message.author),
        chat_title(chat),
        clean(chat)
    )
}

pub fn banned(until: &str, zone: Zone) -> String {
    format!("you are banned until {}\n", zone.format_rfc3339(until))
}

fn chat_label(chat_type: &str, chat: &str) -> String {
    match chat_type {
        "private" => format!("private with {}", clean(chat)),
        "room" => format!("room {}", clean(chat)),
        _ => clean(chat_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Changes;

    #[test]
    fn one_line_per_event_saying_who_where_and_what() {
        let message = Event::from_json(
            r#"{"id":7,"type":"message","chat_type":"public","chat":"public_chat","message":
                {"id":17,"author":"alice","pub_date":"2026-11-29T08:06:05.123Z",
                 "message_text":"two\nlines\r\nand \u001b[2J","comments":[]}}"#,
        );
        assert_eq!(
            line(&message, Zone::Utc, "me"),
            "2026-11-29 08:06:05  public  #17  alice: two ↵ lines ↵ and \u{FFFD}[2J\n"
        );
        let private = Event::from_json(
            r#"{"id":8,"type":"message","chat_type":"private","chat":"bob","message":
                {"id":18,"author":"bob","pub_date":"2026-11-29T08:06:09Z","message_text":"psst"}}"#,
        );
        assert_eq!(
            line(&private, Zone::Utc, "me"),
            "2026-11-29 08:06:09  private with bob  #18  bob: psst\n"
        );
        let comment = Event::from_json(
            r#"{"id":9,"type":"comment","chat_type":"private","chat":"bob","message_id":18,
                "comment":{"id":3,"author":"bob","created":"2026-11-29T08:07:00Z","comment_text":"+1"}}"#,
        );
        assert_eq!(
            line(&comment, Zone::Utc, "me"),
            "2026-11-29 08:07:00  private with bob  comment on #18  bob: +1\n"
        );
        let ban = Event::from_json(
            r#"{"id":10,"type":"banned","banned_until":"2026-11-29T12:06:05.000Z"}"#,
        );
        assert_eq!(
            line(&ban, Zone::Utc, "me"),
            "you are banned until 2026-11-29 12:06:05\n"
        );
        let room = Event::from_json(
            r##"{"id":12,"type":"message","chat_type":"room","chat":"#design","message":
                {"id":19,"author":"ann","pub_date":"2026-11-29T08:06:09Z","message_text":"ok"}}"##,
        );
        assert_eq!(
            line(&room, Zone::Utc, "me"),
            "2026-11-29 08:06:09  room #design  #19  ann: ok\n"
        );
        let member = Event::from_json(
            r##"{"id":13,"type":"member","chat_type":"room","chat":"#design","user_name":"bob","action":"joined"}"##,
        );
        assert_eq!(line(&member, Zone::Utc, "me"), "room  bob joined #design\n");
        let newer = Event::from_json(r#"{"id":11,"type":"typing"}"#);
        assert_eq!(
            line(&newer, Zone::Utc, "me"),
            "an event of a kind agora does not know (event cursor 11; --json shows it)\n"
        );
    }

    #[test]
    fn chat_shows_comments_and_other_chats_briefly() {
        let comment = Comment {
            id: 3,
            author: "bob".into(),
            created: "2026-11-29T08:07:00Z".into(),
            comment_text: "+1".into(),
            changes: Changes::default(),
        };
        assert_eq!(
            comment_on(17, &comment, Zone::Utc),
            "    ↳ 2026-11-29 08:07:00  bob on #17: +1\n"
        );
        let message = Message {
            id: 18,
            author: "bob".into(),
            pub_date: "2026-11-29T08:06:09Z".into(),
            message_text: "psst".into(),
            comments: Vec::new(),
            changes: Changes::default(),
            reactions: Vec::new(),
            mentions: Vec::new(),
        };
        assert_eq!(
            elsewhere("bob", &message),
            "(new message #18 from bob in the private chat with bob; /read bob follows it)"
        );
    }
}
