//! How many bytes `api::encode` writes for a message or a comment object,
//! computed without writing them, so that the rules can stop a page at its
//! byte budget (API.md: no response body reaches 2 MiB) before anything is
//! encoded. The counts follow serde_json's compact output exactly; a test in
//! `core/tests/integration/api_encode.rs` holds them to the encoder.

use crate::events::{Event, EventBody, EventChat};
use crate::time::UnixMillis;
use crate::view::{Reaction, StoredComment, StoredMessage, UserId};
use std::fmt::{self, Write};

/// `{"id":..,"author":..,"pub_date":..,"message_text":..,"comments":[..],"comments_total":..,
/// "edited":..,"deleted":..,["deleted_by":..,]"reactions":[..],"mentions":[..]}`
pub fn message_len(message: &StoredMessage) -> usize {
    const KEYS: usize = r#"{"id":,"author":,"pub_date":,"message_text":,"comments":[],"comments_total":,"edited":,"deleted":,"reactions":[],"mentions":[]}"#.len();
    KEYS + int_len(message.id)
        + str_len(&message.author)
        + time_len(message.pub_date)
        + str_len(&message.text)
        + list_len(message.comments.iter().map(comment_len))
        + int_len(i64::try_from(message.comments_total).unwrap_or(i64::MAX))
        + changes_len(
            message.edited,
            message.deleted,
            message.deleted_by.as_deref(),
        )
        + reactions_len(&message.reactions)
        + list_len(message.mentions.iter().map(|name| str_len(name)))
}

/// `{"id":..,"author":..,"created":..,"comment_text":..,"edited":..,"deleted":..[,"deleted_by":..]}`
pub fn comment_len(comment: &StoredComment) -> usize {
    const KEYS: usize =
        r#"{"id":,"author":,"created":,"comment_text":,"edited":,"deleted":}"#.len();
    KEYS + int_len(comment.id)
        + str_len(&comment.author)
        + time_len(comment.created)
        + str_len(&comment.text)
        + changes_len(
            comment.edited,
            comment.deleted,
            comment.deleted_by.as_deref(),
        )
}

/// (issue 26) The values of `edited` and `deleted`, and `,"deleted_by":..`
/// when there is one.
fn changes_len(edited: Option<UnixMillis>, deleted: bool, deleted_by: Option<&str>) -> usize {
    edited.map_or("null".len(), time_len)
        + if deleted { "true".len() } else { "false".len() }
        + deleted_by.map_or(0, |name| r#","deleted_by":"#.len() + str_len(name))
}

/// The items of a `reactions` array:
/// `{"emoji":..,"count":..,"users":[..]}` each.
pub fn reactions_len(reactions: &[Reaction]) -> usize {
    const KEYS: usize = r#"{"emoji":,"count":,"users":[]}"#.len();
    list_len(reactions.iter().map(|r| {
        KEYS + str_len(&r.emoji)
            + int_len(i64::try_from(r.count).unwrap_or(i64::MAX))
            + list_len(r.users.iter().map(|name| str_len(name)))
    }))
}

/// An event as `viewer` gets it:
/// `{"id":..,"type":"message","chat_type":..,"chat":..,"message":{..}}`,
/// `{"id":..,"type":"comment","chat_type":..,"chat":..,"message_id":..,"comment":{..}}`
/// or `{"id":..,"type":"banned","banned_until":..}`.
pub fn event_len(event: &Event, viewer: UserId) -> usize {
    let head = r#"{"id":,"type":}"#.len() + int_len(event.id) + str_len(event.body.kind());
    let chat = |chat: &EventChat| {
        let chat_type = match chat {
            EventChat::Public => "public",
            EventChat::Private { .. } => "private",
            EventChat::Room { .. } => "room",
        };
        r#","chat_type":,"chat":"#.len() + str_len(chat_type) + str_len(chat.name_for(viewer))
    };
    head + match &event.body {
        // A message or comment changed is written as the new one is.
        EventBody::Message { chat: c, message }
        | EventBody::MessageChanged {
            chat: c, message, ..
        } => chat(c) + r#","message":"#.len() + message_len(message),
        EventBody::Comment {
            chat: c,
            message_id,
            comment,
        }
        | EventBody::CommentChanged {
            chat: c,
            message_id,
            comment,
            ..
        } => {
            chat(c)
                + r#","message_id":,"comment":"#.len()
                + int_len(*message_id)
                + comment_len(comment)
        }
        EventBody::Banned { until, .. } => r#","banned_until":"#.len() + time_len(*until),
        // (issue 25) `,"chat_type":"room","chat":..,"user_name":..,"action":..`
        EventBody::Member {
            room_name,
            user_name,
            action,
            ..
        } => {
            r#","chat_type":"room","chat":,"user_name":,"action":"#.len()
                + str_len(room_name)
                + str_len(user_name)
                + str_len(action.as_str())
        }
        EventBody::Reaction {
            chat: c,
            message_id,
            reactions,
        } => {
            chat(c)
                + r#","message_id":,"reactions":[]"#.len()
                + int_len(*message_id)
                + reactions_len(reactions)
        }
        EventBody::SignedOut { .. } => 0,
    }
}

/// (issue 26) The most one event's JSON may take: a text of 4,096
/// characters at six bytes each (24 KiB), its mentions, and 20 reactions
/// listing 20 users each, with room to spare. Far below the hub's inbox
/// bound and `events_page_budget`, so one event never fills either.
pub const EVENT_BUDGET: usize = 64 * 1024;

/// Items of a JSON array, with the commas between them (not the brackets).
pub fn list_len(items: impl Iterator<Item = usize>) -> usize {
    let (count, sum) = items.fold((0usize, 0usize), |(n, sum), len| (n + 1, sum + len));
    sum + count.saturating_sub(1)
}

/// A JSON string with its quotes: serde_json writes `"` and `\` as two bytes,
/// `\b \t \n \f \r` as two, every other control byte as `\u00XX` (six), and
/// everything else (non-ASCII included) as is.
pub fn str_len(text: &str) -> usize {
    2 + text
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | b'\t' | b'\n' | 0x0c | b'\r' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn int_len(n: i64) -> usize {
    let sign = usize::from(n < 0);
    let mut digits = 1;
    let mut rest = n.unsigned_abs() / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    sign + digits
}

/// An RFC 3339 time in quotes (24 characters for the years 0 to 9999).
fn time_len(at: UnixMillis) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = write!(count, "{}", at.rfc3339());
    2 + count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_numbers_count_as_serde_json_writes_them() {
        for text in [
            "",
            "hi",
            "a\"b\\c",
            "\u{1}\n\t\u{7f}é😀",
            "\u{1f}\u{8}\u{c}\r",
        ] {
            let written = serde_json::to_string(text).unwrap();
            assert_eq!(str_len(text), written.len(), "{text:?}");
        }
        for n in [0, 7, 10, 99, 100, -1, -10, i64::MAX, i64::MIN] {
            assert_eq!(int_len(n), n.to_string().len(), "{n}");
        }
        assert_eq!(list_len([].into_iter()), 0);
        assert_eq!(list_len([3, 4].into_iter()), 8);
    }
}
