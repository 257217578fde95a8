//! (issue 26) Edits, deletions, reactions and mentions for people: how a
//! changed text reads, a reaction line, the answers of `agora edit`,
//! `delete` and `react`, and the `watch` lines of their events.

use super::{clean, one_line};
use crate::localtime::Zone;
use crate::wire::{Changed, Changes, EditReply, ReactReply, Reaction};

/// Marks a message that mentions the caller, so it stands out in a list.
pub const MENTION_MARK: &str = "@ you";

/// The text a message or comment shows: a tombstone for a deleted one
/// (`(deleted)`, `(deleted by mod)`), else its text, with `(edited)` and
/// the mention mark after it.
pub fn shown_text(text: &str, changes: &Changes, mentions_me: bool) -> String {
    if changes.deleted {
        return match &changes.deleted_by {
            Some(by) => format!("(deleted by {})", clean(by)),
            None => "(deleted)".to_owned(),
        };
    }
    let mut shown = text.to_owned();
    if changes.edited.is_some() {
        shown.push_str(" (edited)");
    }
    if mentions_me {
        shown.push_str("  ");
        shown.push_str(MENTION_MARK);
    }
    shown
}

/// Whether `mentions` names `me` (names compare without ASCII case).
pub fn mentions(mentions: &[String], me: &str) -> bool {
    mentions.iter().any(|name| name.eq_ignore_ascii_case(me))
}

/// `👍 2 (bob, carol)  🎉 1 (carol)`: each emoji, how many, and who (the
/// first the server lists, `+N` for the rest).
pub fn reactions(reactions: &[Reaction]) -> String {
    reactions
        .iter()
        .map(|r| {
            let mut who = r
                .users
                .iter()
                .map(|u| clean(u))
                .collect::<Vec<_>>()
                .join(", ");
            let more = r.count.saturating_sub(r.users.len() as u64);
            if more > 0 {
                who.push_str(&format!(" +{more}"));
            }
            format!("{} {} ({who})", clean(&r.emoji), r.count)
        })
        .collect::<Vec<_>>()
        .join("  ")
}

fn what(id: u64, comment: bool) -> String {
    if comment {
        format!("comment #{id}")
    } else {
        format!("message #{id}")
    }
}

/// `agora edit`.
pub fn edited(reply: &EditReply, id: u64, comment: bool, zone: Zone) -> String {
    format!(
        "edited {} at {}\n",
        what(id, comment),
        zone.format_rfc3339(&reply.edited)
    )
}

/// `agora delete`.
pub fn deleted(id: u64, comment: bool) -> String {
    format!("deleted {}\n", what(id, comment))
}

/// `agora react`.
pub fn reacted(reply: &ReactReply) -> String {
    if reply.reactions.is_empty() {
        return format!("message #{}: no reactions\n", reply.message_id);
    }
    format!(
        "message #{}: {}\n",
        reply.message_id,
        reactions(&reply.reactions)
    )
}

/// `agora watch`: an `edited` or `deleted` event (`change` says which) on
/// one line: `private with bob  edited #17  alice: new text`.
pub fn change_line(change: &str, chat: &str, changed: &Changed, me: &str) -> String {
    match changed {
        Changed::Message { message } => {
            let text = changed_text(
                &message.message_text,
                &message.changes,
                mentions(&message.mentions, me),
            );
            format!(
                "{chat}  {change} #{}  {}: {}\n",
                message.id,
                clean(&message.author),
                one_line(&text)
            )
        }
        Changed::Comment {
            message_id,
            comment,
        } => {
            let text = changed_text(&comment.comment_text, &comment.changes, false);
            format!(
                "{chat}  {change} comment on #{message_id}  {}: {}\n",
                clean(&comment.author),
                one_line(&text)
            )
        }
    }
}

/// An `edited` or `deleted` event's text: its line already says what
/// happened, so an edit is not marked again.
fn changed_text(text: &str, changes: &Changes, mentions_me: bool) -> String {
    let unmarked = Changes {
        edited: None,
        ..changes.clone()
    };
    shown_text(text, &unmarked, mentions_me)
}

/// `agora watch`: a `reaction` event.
pub fn reaction_line(chat: &str, message_id: u64, list: &[Reaction]) -> String {
    match list {
        [] => format!("{chat}  reactions on #{message_id}: none\n"),
        list => format!("{chat}  reactions on #{message_id}: {}\n", reactions(list)),
    }
}

/// `agora chat`: an event about the followed chat, one line, no chat label.
pub fn in_chat(line: &str) -> String {
    format!("    * {line}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Event, EventKind};

    #[test]
    fn texts_say_what_happened_to_them() {
        let edited = Changes {
            edited: Some("2026-11-29T08:07:00Z".into()),
            ..Changes::default()
        };
        assert_eq!(shown_text("hi", &edited, false), "hi (edited)");
        let deleted = Changes {
            deleted: true,
            ..edited
        };
        assert_eq!(shown_text("", &deleted, false), "(deleted)");
        let by_mod = Changes {
            deleted_by: Some("mod".into()),
            ..deleted
        };
        assert_eq!(shown_text("", &by_mod, false), "(deleted by mod)");
        assert_eq!(
            shown_text("hi @Bob", &Changes::default(), true),
            "hi @Bob  @ you"
        );
        assert!(mentions(&["Bob".into()], "bob"));
        let list = [
            Reaction {
                emoji: "👍".into(),
                count: 3,
                users: vec!["bob".into(), "carol".into()],
            },
            Reaction {
                emoji: "🎉".into(),
                count: 1,
                users: vec!["carol".into()],
            },
        ];
        assert_eq!(reactions(&list), "👍 3 (bob, carol +1)  🎉 1 (carol)");
    }

    #[test]
    fn change_events_read_and_show() {
        let edited = Event::from_json(
            r#"{"id":5,"type":"edited","chat_type":"private","chat":"bob","message":
                {"id":17,"author":"bob","pub_date":"2026-11-29T08:06:05Z","message_text":"hi @Al",
                 "comments":[],"comments_total":0,"edited":"2026-11-29T08:07:05Z","deleted":false,
                 "reactions":[],"mentions":["al"]}}"#,
        );
        let EventKind::Edited { chat, changed, .. } = &edited.kind else {
            panic!("{edited:?}");
        };
        assert_eq!(
            change_line("edited", &format!("private with {chat}"), changed, "AL"),
            "private with bob  edited #17  bob: hi @Al  @ you\n"
        );
        let deleted = Event::from_json(
            r#"{"id":6,"type":"deleted","chat_type":"public","chat":"public_chat","message_id":17,
                "comment":{"id":2,"author":"eve","created":"2026-11-29T08:07:00Z","comment_text":"",
                 "edited":null,"deleted":true,"deleted_by":"mod"}}"#,
        );
        let EventKind::Deleted { changed, .. } = &deleted.kind else {
            panic!("{deleted:?}");
        };
        assert_eq!(
            change_line("deleted", "public", changed, "al"),
            "public  deleted comment on #17  eve: (deleted by mod)\n"
        );
        let reaction = Event::from_json(
            r#"{"id":7,"type":"reaction","chat_type":"public","chat":"public_chat","message_id":17,
                "reactions":[{"emoji":"👍","count":1,"users":["al"]}]}"#,
        );
        let EventKind::Reaction {
            message_id,
            reactions,
            ..
        } = &reaction.kind
        else {
            panic!("{reaction:?}");
        };
        assert_eq!(
            reaction_line("public", *message_id, reactions),
            "public  reactions on #17: 👍 1 (al)\n"
        );
    }
}
