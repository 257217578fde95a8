//! (issue 25) Rooms: `POST /rooms`, `GET /rooms`, `POST /join`, `POST /leave`,
//! `POST /invite`, and the checks the other commands make when they name a
//! room.
//!
//! A room is a chat with a name. Who may see it: anyone when it is public;
//! its members and the users invited to it when it is private. To anyone
//! else a private room does not exist: every answer about it is the one for
//! no room at all (404 `room_not_found`), so that nothing tells the two
//! apart. Every change of membership records a `member` event: live
//! delivery follows membership from those events alone.

use super::{caller, checked, other_user, unbanned_caller, Answer, Checked};
use crate::command::{Failure, Outcome};
use crate::events::{EventBody, EventChat, MemberAction};
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{ChatId, NewRoom, Room, RoomsPage, StoreError, User, View};

/// A chat id no chat has (ids start at 1).
const NO_CHAT: ChatId = 0;

/// The most rooms one `GET /rooms` answer lists (`truncated` says more
/// matched): a bound on the answer's size, not a page (`q` narrows).
pub const ROOMS_LIST_MAX: u32 = 500;

/// The room `name` if `me` may see it (public, or `me` a member or
/// invited), else 404 `room_not_found`, the same for a private room as for
/// none.
pub(super) fn visible_room(
    view: &mut impl View,
    me: &User,
    name: &str,
) -> Result<Checked<Room>, StoreError> {
    let Some(room) = view.room_by_name(name)? else {
        // The reads a hidden private room costs, on no chat (id 0): the
        // two answers take about as long, not only read the same.
        sees_private(view, NO_CHAT, me)?;
        return Ok(Err(Outcome::Failed(Failure::RoomNotFound)));
    };
    if room.public || sees_private(view, room.id, me)? {
        Ok(Ok(room))
    } else {
        Ok(Err(Outcome::Failed(Failure::RoomNotFound)))
    }
}

/// Whether `me` is a member of, or invited to, `room`.
fn sees_private(view: &mut impl View, room: ChatId, me: &User) -> Result<bool, StoreError> {
    Ok(view.read_position(room, me.id)?.is_some() || view.is_invited(room, me.id)?)
}

/// The room `name` if `me` is a member: 404 as [`visible_room`], then 403
/// `not_a_member`.
pub(super) fn member_room(
    view: &mut impl View,
    me: &User,
    name: &str,
) -> Result<Checked<Room>, StoreError> {
    let room = match visible_room(view, me, name)? {
        Ok(room) => room,
        Err(refused) => return Ok(Err(refused)),
    };
    if view.read_position(room.id, me.id)?.is_some() {
        Ok(Ok(room))
    } else {
        Ok(Err(Outcome::Failed(Failure::NotAMember)))
    }
}

/// How a message of `chat` is reached by someone not in it: `None` when
/// `chat` is not a room; else the refusal: 403 `not_a_member` for a room
/// `me` may see, and for a private one it may not, the answer for no such
/// message (a message id must not tell that a private room exists).
pub(super) fn outsider_refusal(
    view: &mut impl View,
    me: &User,
    chat: ChatId,
) -> Result<Option<Failure>, StoreError> {
    let Some(room) = view.room_of(chat)? else {
        return Ok(None);
    };
    if room.public || view.is_invited(room.id, me.id)? {
        Ok(Some(Failure::NotAMember))
    } else {
        Ok(Some(Failure::MessageNotFound))
    }
}

/// The event chat of a room's message or comment.
pub(super) fn event_chat(room: &Room) -> EventChat {
    EventChat::Room {
        id: room.id,
        name: room.name.clone(),
    }
}

/// `POST /rooms`: the caller creates a room and is its first member. 403
/// `banned` while banned, 409 `room_exists` for a name taken in any case
/// (a private room's too: a name is unique, and refusing it tells only
/// that the name is taken).
pub(super) fn create(
    view: &mut impl View,
    caller_hash: &TokenHash,
    name: &str,
    public: bool,
    topic: &str,
    now: UnixMillis,
) -> Answer {
    let me = checked!(unbanned_caller(view, caller_hash, now)?);
    if view.room_by_name(name)?.is_some() {
        return Ok(Outcome::Failed(Failure::RoomExists));
    }
    let id = view.create_room(NewRoom {
        name,
        public,
        topic,
        now,
    })?;
    view.join(id, me.id, 0)?;
    member_event(view, id, name, &me, MemberAction::Joined)?;
    Ok(Outcome::RoomCreated {
        room: name.to_owned(),
    })
}

/// `GET /rooms`: the rooms the caller may see whose name starts with
/// `prefix` (any case), by name, at most [`ROOMS_LIST_MAX`].
pub(super) fn list(view: &mut impl View, caller_hash: &TokenHash, prefix: &str) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    if !crate::api::is_room_name_prefix(prefix) {
        return Ok(Outcome::Rooms {
            rooms: Vec::new(),
            truncated: false,
        });
    }
    let mut rooms = view.rooms_for(RoomsPage {
        user: me.id,
        prefix,
        limit: ROOMS_LIST_MAX + 1,
    })?;
    let truncated = rooms.len() > ROOMS_LIST_MAX as usize;
    rooms.truncate(ROOMS_LIST_MAX as usize);
    Ok(Outcome::Rooms { rooms, truncated })
}

/// `POST /join`: anyone joins a public room, the invited a private one (to
/// anyone else it does not exist: 404). A member joining again changes
/// nothing. A new member's read position is the room's latest message:
/// what came before is history, nothing is unread.
pub(super) fn join(view: &mut impl View, caller_hash: &TokenHash, name: &str) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let room = checked!(visible_room(view, &me, name)?);
    if view.read_position(room.id, me.id)?.is_none() {
        let latest = view.latest_message(room.id)?;
        view.join(room.id, me.id, latest)?;
        let invitation = crate::view::ChatUser {
            chat: room.id,
            user: me.id,
        };
        view.set_invited(invitation, false)?;
        member_event(view, room.id, &room.name, &me, MemberAction::Joined)?;
    }
    Ok(Outcome::Joined { room: room.name })
}

/// `POST /leave`: 409 `not_a_member` for a room the caller is not in (404
/// for a private room it may not see). The room stays, members or not.
pub(super) fn leave(view: &mut impl View, caller_hash: &TokenHash, name: &str) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let room = checked!(visible_room(view, &me, name)?);
    if view.read_position(room.id, me.id)?.is_none() {
        return Ok(Outcome::Failed(Failure::NotAMemberToLeave));
    }
    view.leave(room.id, me.id)?;
    member_event(view, room.id, &room.name, &me, MemberAction::Left)?;
    Ok(Outcome::Left { room: room.name })
}

/// `POST /invite`: a member invites a user. Checks in order: the room (404,
/// also for a private room the caller may not see), the caller a member
/// (403), the user (404; inviting oneself is inviting a member), the user a
/// member already (409). Inviting someone invited already is answered alike
/// and records nothing new.
pub(super) fn invite(
    view: &mut impl View,
    caller_hash: &TokenHash,
    name: &str,
    user_name: &str,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let room = checked!(member_room(view, &me, name)?);
    let guest = match other_user(view, &me, user_name, "user_name")? {
        Ok(guest) => guest,
        Err(Outcome::Failed(Failure::SelfTarget { .. })) => {
            return Ok(Outcome::Failed(Failure::AlreadyAMember))
        }
        Err(refused) => return Ok(refused),
    };
    if view.read_position(room.id, guest.id)?.is_some() {
        return Ok(Outcome::Failed(Failure::AlreadyAMember));
    }
    if !view.is_invited(room.id, guest.id)? {
        let invitation = crate::view::ChatUser {
            chat: room.id,
            user: guest.id,
        };
        view.set_invited(invitation, true)?;
        member_event(view, room.id, &room.name, &guest, MemberAction::Invited)?;
    }
    Ok(Outcome::Invited {
        room: room.name,
        user_name: guest.name,
    })
}

fn member_event(
    view: &mut impl View,
    room: ChatId,
    room_name: &str,
    user: &User,
    action: MemberAction,
) -> Result<(), StoreError> {
    view.append_event(EventBody::Member {
        room,
        room_name: room_name.to_owned(),
        user: user.id,
        user_name: user.name.clone(),
        action,
    })?;
    Ok(())
}
