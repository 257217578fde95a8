//! The calls of API.md v3 "Rooms" and "History and people", and the answers
//! the client reads of them: rooms, membership, a chat's older messages and
//! the user directory.

use crate::api::{Api, Reply};
use crate::failure::Failure;
use crate::wire::Message;
use serde::Deserialize;
use serde_json::json;

/// The prefix that makes a chat name a room's.
pub const ROOM_MARK: char = '#';

/// `design` and `#design` both name the room `#design` on the command line
/// (a shell takes an unquoted `#design` for a comment).
pub fn room_name(name: &str) -> String {
    if name.starts_with(ROOM_MARK) {
        name.to_owned()
    } else {
        format!("{ROOM_MARK}{name}")
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Room {
    pub room: String,
    pub visibility: String,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub members_number: u64,
    /// `member`, `invited`, or none.
    #[serde(default)]
    pub membership: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct RoomList {
    pub rooms: Vec<Room>,
    #[serde(default)]
    pub truncated: bool,
}

/// `POST /rooms`, `/join`, `/leave`, `/invite`: the room as the server spells it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct RoomReply {
    pub room: String,
    #[serde(default)]
    pub user_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct MessagePage {
    pub chat: String,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub more: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct UserEntry {
    pub user_name: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub more: bool,
}

impl Api {
    pub fn create_room(
        &mut self,
        room: &str,
        private: bool,
        topic: Option<&str>,
    ) -> Result<Reply<RoomReply>, Failure> {
        let visibility = if private { "private" } else { "public" };
        let mut body = json!({ "room": room, "visibility": visibility });
        if let Some(topic) = topic {
            body["topic"] = json!(topic);
        }
        self.call("POST", "/rooms", Some(body))
    }

    pub fn rooms(&mut self, prefix: Option<&str>) -> Result<Reply<RoomList>, Failure> {
        self.call("GET", &target("/rooms", &[("q", prefix)]), None)
    }

    /// `POST /join` or `POST /leave` (`join` false).
    pub fn membership(&mut self, room: &str, join: bool) -> Result<Reply<RoomReply>, Failure> {
        let path = if join { "/join" } else { "/leave" };
        self.call("POST", path, Some(json!({ "room": room })))
    }

    pub fn invite(&mut self, room: &str, user: &str) -> Result<Reply<RoomReply>, Failure> {
        let body = json!({ "room": room, "user_name": user });
        self.call("POST", "/invite", Some(body))
    }

    /// `GET /messages`: a chat's newest `limit` messages below `before`.
    pub fn messages(
        &mut self,
        chat: &str,
        before: Option<u64>,
        limit: Option<u32>,
    ) -> Result<Reply<MessagePage>, Failure> {
        let before = before.map(|id| id.to_string());
        let limit = limit.map(|n| n.to_string());
        let query = [
            ("chat", Some(chat)),
            ("before", before.as_deref()),
            ("limit", limit.as_deref()),
        ];
        self.call("GET", &target("/messages", &query), None)
    }

    pub fn users(
        &mut self,
        prefix: Option<&str>,
        after: Option<&str>,
    ) -> Result<Reply<UserPage>, Failure> {
        let query = [("q", prefix), ("after", after), ("limit", Some("100"))];
        self.call("GET", &target("/users", &query), None)
    }
}

/// `path?name=value&...` with the parameters that have a value, each
/// percent-encoded (a room's `#` would otherwise end the target's query).
fn target(path: &str, query: &[(&str, Option<&str>)]) -> String {
    let mut out = path.to_owned();
    for (name, value) in query {
        let Some(value) = value else { continue };
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(name);
        out.push('=');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded_and_absent_ones_left_out() {
        assert_eq!(
            target("/messages", &[("chat", Some("#dev")), ("before", None)]),
            "/messages?chat=%23dev"
        );
        assert_eq!(
            target("/users", &[("q", Some("a b&c")), ("limit", Some("100"))]),
            "/users?q=a%20b%26c&limit=100"
        );
        assert_eq!(target("/rooms", &[("q", None)]), "/rooms");
    }

    #[test]
    fn a_room_is_named_with_or_without_its_mark() {
        assert_eq!(room_name("design"), "#design");
        assert_eq!(room_name("#design"), "#design");
    }
}
