//! What to do next after a refusal about a room or a chat (API.md v3): the
//! server's sentence says what went wrong, the hint names the command that
//! helps.

use crate::failure::Failure;
use crate::rooms::ROOM_MARK;

/// A refusal of `agora room create|join|leave|invite` about `room`.
pub fn on_room(failure: Failure, room: &str) -> Failure {
    failure
        .with_hint("room_not_found", || {
            format!("`agora rooms` lists the rooms you can see; a private room needs an invitation to {room}")
        })
        .with_hint("room_exists", || {
            format!("pick another name, or join it with `agora room join '{room}'`")
        })
        .with_hint("invalid_room_name", || {
            "a room name is '#' then 1 to 32 letters, digits, '_', '-' or '.'".to_owned()
        })
        .with_hint("not_a_member", || {
            format!("join it first with `agora room join '{room}'`")
        })
        .with_hint("already_a_member", || "nothing to do".to_owned())
        .with_hint("user_not_found", || {
            "`agora users PREFIX` lists the users whose names start with PREFIX".to_owned()
        })
}

/// A refusal of `send`, `read` or `history` in `chat` (a room's refusals get
/// the room's hints).
pub fn on_chat(failure: Failure, chat: &str) -> Failure {
    if chat.starts_with(ROOM_MARK) {
        on_room(failure, chat)
    } else {
        failure.with_hint("user_not_found", || {
            "`agora users PREFIX` lists the users whose names start with PREFIX; a room is \
             named with '#'"
                .to_owned()
        })
    }
}
