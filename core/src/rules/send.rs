//! `POST /send`.

use super::{caller, check_not_banned, checked, quota, room, target, Answer, Target};
use crate::command::{ChatRef, Outcome};
use crate::config::Config;
use crate::events::{EventBody, EventChat};
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{StoredMessage, View, PUBLIC_CHAT};

/// Appends a message. A ban blocks every send; the quota counts public
/// messages only; a private chat is created by its first message (both
/// members at position 0). A sender who had read everything in the chat
/// stays caught up (its position moves to its own message); otherwise its
/// position stays, and its message comes in order among its unread.
pub(super) fn send(
    view: &mut impl View,
    caller_hash: &TokenHash,
    to: &ChatRef,
    text: &str,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let mut me = checked!(caller(view, caller_hash)?);
    let target = checked!(target(view, &me, to, "send_to")?);
    checked!(check_not_banned(&me, now));
    // Remembered once, for `--reporter-min-age`.
    let first_message = !me.sent_message;
    me.sent_message = true;
    let (chat, event_chat) = match target {
        Target::Public => {
            checked!(quota::take(&mut me, now, config));
            view.save_user(&me)?;
            (PUBLIC_CHAT, EventChat::Public)
        }
        // (issue 25) Public rooms share the public quota; private ones are
        // free as private chats are.
        Target::Room(room) => {
            if room.public {
                checked!(quota::take(&mut me, now, config));
                view.save_user(&me)?;
            } else if first_message {
                view.save_user(&me)?;
            }
            (room.id, room::event_chat(&room))
        }
        Target::Partner(other) => {
            if first_message {
                view.save_user(&me)?;
            }
            let chat = match view.private_chat(me.id, other.id)? {
                Some(chat) => chat,
                None => view.create_private_chat(me.id, other.id, now)?,
            };
            let me_too = (me.id, me.name.clone());
            (
                chat,
                EventChat::private(chat, me_too, (other.id, other.name)),
            )
        }
    };
    let position = view.read_position(chat, me.id)?;
    let latest = view.latest_message(chat)?;
    let message_id = view.append_message(chat, crate::view::NewText::new(me.id, text, now))?;
    let mentions = super::mentions::record_new(view, chat, message_id, text)?;
    if position == Some(latest) {
        let member = crate::view::ChatUser { chat, user: me.id };
        view.set_read_position(member, message_id)?;
    }
    view.append_event(EventBody::Message {
        chat: event_chat,
        message: StoredMessage {
            id: message_id,
            author: me.name,
            pub_date: now,
            text: text.to_owned(),
            mentions,
            ..StoredMessage::default()
        },
    })?;
    Ok(Outcome::MessageSent {
        message_id,
        pub_date: now,
    })
}
