//! Typing and validating one body field at a time; every refusal names its
//! field. `null` counts as absent everywhere.

use super::body::Body;
use super::error::bad_field;
use super::number::integral;
use super::query::Query;
use crate::command::{ChatRef, ChatType, Target};
use crate::config::Config;
use crate::error_code::ErrorCode;
use crate::events::EventId;
use crate::http::Response;
use crate::view::MessageId;
use std::ops::RangeInclusive;

/// The longest user name, in characters.
pub const MAX_USER_NAME: usize = 32;

/// The reserved name of the public chat.
pub const PUBLIC_CHAT_NAME: &str = "public_chat";

/// Whether `name` may be a user's name: 1 to 32 of `[A-Za-z0-9_.-]`, and not
/// `public_chat` in any case.
pub fn is_valid_user_name(name: &str) -> bool {
    (1..=MAX_USER_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !name.eq_ignore_ascii_case(PUBLIC_CHAT_NAME)
}

/// Whether `text` may be a message or comment: 1 to `max_chars` characters
/// (Unicode scalar values), not only whitespace.
pub fn is_valid_text(text: &str, max_chars: usize) -> bool {
    !text.trim().is_empty() && text.chars().take(max_chars.saturating_add(1)).count() <= max_chars
}

fn missing(field: &str) -> Response {
    bad_field(
        ErrorCode::MissingField,
        field,
        &format!("the field `{field}` is required"),
    )
}

fn wrong_type(field: &str, expected: &str) -> Response {
    bad_field(
        ErrorCode::InvalidField,
        field,
        &format!("the field `{field}` must be {expected}"),
    )
}

fn invalid_user_name(field: &str) -> Response {
    bad_field(
        ErrorCode::InvalidUserName,
        field,
        &format!(
            "`{field}` must be 1 to {MAX_USER_NAME} letters, digits, `_`, `-` or `.`, \
             and not `{PUBLIC_CHAT_NAME}`"
        ),
    )
}

/// An optional string field.
pub(super) fn string(body: &Body, field: &str) -> Result<Option<String>, Response> {
    body.get(field)
        .map(|raw| {
            serde_json::from_str::<String>(raw.get()).map_err(|_| wrong_type(field, "a string"))
        })
        .transpose()
}

fn required_string(body: &Body, field: &str) -> Result<String, Response> {
    string(body, field)?.ok_or_else(|| missing(field))
}

/// A required string that `valid` accepts; `invalid(field)` otherwise.
fn required_name(
    body: &Body,
    field: &str,
    valid: fn(&str) -> bool,
    invalid: fn(&str) -> Response,
) -> Result<String, Response> {
    let name = required_string(body, field)?;
    if valid(&name) {
        Ok(name)
    } else {
        Err(invalid(field))
    }
}

/// A required user name (`user_name`, `report_on`).
pub(super) fn user_name(body: &Body, field: &str) -> Result<String, Response> {
    required_name(body, field, is_valid_user_name, invalid_user_name)
}

/// `chat_with` / `send_to`: absent or `public_chat` (any case) is the public
/// chat, a valid user name the private chat with that user.
pub(super) fn chat_ref(body: &Body, field: &str) -> Result<ChatRef, Response> {
    match string(body, field)? {
        None => Ok(ChatRef::Public),
        Some(name) if name.eq_ignore_ascii_case(PUBLIC_CHAT_NAME) => Ok(ChatRef::Public),
        Some(name) if is_valid_user_name(&name) => Ok(ChatRef::Private(name)),
        Some(name) if name.starts_with('#') => match is_valid_room_name(&name) {
            true => Ok(ChatRef::Room(name)),
            false => Err(invalid_room_name(field)),
        },
        Some(_) => Err(invalid_user_name(field)),
    }
}

// (issue 25) rooms.
/// The longest room name, in characters after its `#`.
pub const MAX_ROOM_NAME: usize = 32;
/// The longest room topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 256;

/// Whether `name` may be a room's name: `#` then 1 to 32 of
/// `[A-Za-z0-9_.-]`.
pub fn is_valid_room_name(name: &str) -> bool {
    name.strip_prefix('#')
        .is_some_and(|rest| (1..=MAX_ROOM_NAME).contains(&rest.len()) && room_chars(rest))
}

/// Whether some room's name may start with `prefix`: empty, or `#` then at
/// most 32 of `[A-Za-z0-9_.-]` (`GET /rooms?q=`; anything else finds
/// nothing, and is never handed to a database: PostgreSQL's text cannot
/// even hold a NUL).
pub fn is_room_name_prefix(prefix: &str) -> bool {
    prefix.is_empty()
        || prefix
            .strip_prefix('#')
            .is_some_and(|rest| rest.len() <= MAX_ROOM_NAME && room_chars(rest))
}

/// Whether every byte may stand in a room's name after its `#`.
fn room_chars(rest: &str) -> bool {
    rest.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn invalid_room_name(field: &str) -> Response {
    bad_field(
        ErrorCode::InvalidRoomName,
        field,
        &format!(
            "`{field}` must be `#` then 1 to {MAX_ROOM_NAME} letters, digits, `_`, `-` or `.`"
        ),
    )
}

/// A required room name (`room`).
pub(super) fn room_name(body: &Body, field: &str) -> Result<String, Response> {
    required_name(body, field, is_valid_room_name, invalid_room_name)
}

/// `visibility` of `POST /rooms`: `"public"` (also when absent) or
/// `"private"`; `true` for public.
pub(super) fn visibility(body: &Body) -> Result<bool, Response> {
    const FIELD: &str = "visibility";
    match string(body, FIELD)?.as_deref() {
        None | Some("public") => Ok(true),
        Some("private") => Ok(false),
        Some(_) => Err(wrong_type(FIELD, "\"public\" or \"private\"")),
    }
}

/// `topic` of `POST /rooms`: 0 to 256 characters, `""` when absent.
pub(super) fn topic(body: &Body) -> Result<String, Response> {
    const FIELD: &str = "topic";
    let topic = string(body, FIELD)?.unwrap_or_default();
    if topic.chars().take(MAX_TOPIC_CHARS + 1).count() <= MAX_TOPIC_CHARS {
        Ok(topic)
    } else {
        Err(wrong_type(FIELD, "at most 256 characters"))
    }
}

/// A required message or comment text.
pub(super) fn text(body: &Body, field: &str, config: &Config) -> Result<String, Response> {
    let text = required_string(body, field)?;
    if is_valid_text(&text, config.max_text_chars) {
        Ok(text)
    } else {
        Err(bad_field(
            ErrorCode::InvalidText,
            field,
            &format!(
                "`{field}` must be 1 to {} characters and not only whitespace",
                config.max_text_chars
            ),
        ))
    }
}

/// An integer field: `Some(Some(n))` for an integral number that fits an
/// `i64`, however written (`18`, `18.0`, `1.8e1`: JSON has one kind of
/// number, and JSON Schema's `integer` is any number without a fractional
/// part), `Some(None)` for one that does not fit, `Err` for any other JSON
/// (a fractional number included), `None` when absent.
fn integer(body: &Body, field: &str) -> Result<Option<Option<i64>>, Response> {
    let Some(raw) = body.get(field) else {
        return Ok(None);
    };
    match integral(raw.get()) {
        Some(value) => Ok(Some(value)),
        None => Err(wrong_type(field, "an integer")),
    }
}

/// `messages_number`: 1 to `history_max`, `history_default` when absent. A
/// non-integer is `invalid_field`; an integer out of range is
/// `invalid_messages_number`.
pub(super) fn messages_number(body: &Body, config: &Config) -> Result<u32, Response> {
    const FIELD: &str = "messages_number";
    match integer(body, FIELD)? {
        None => Ok(config.history_default),
        Some(Some(n)) if n >= 1 && n <= i64::from(config.history_max) => Ok(n as u32),
        Some(_) => Err(bad_field(
            ErrorCode::InvalidMessagesNumber,
            FIELD,
            &format!("`{FIELD}` must be from 1 to {}", config.history_max),
        )),
    }
}

/// `message_id`: a required positive integer.
pub(super) fn message_id(body: &Body) -> Result<MessageId, Response> {
    const FIELD: &str = "message_id";
    match integer(body, FIELD)? {
        None => Err(missing(FIELD)),
        Some(Some(id)) if id > 0 => Ok(id),
        Some(_) => Err(wrong_type(FIELD, "a positive integer")),
    }
}

/// `up_to` of `POST /read`: a required message id (0: nothing read).
pub(super) fn up_to(body: &Body) -> Result<MessageId, Response> {
    const FIELD: &str = "up_to";
    match integer(body, FIELD)? {
        None => Err(missing(FIELD)),
        Some(Some(id)) if id >= 0 => Ok(id),
        Some(_) => Err(wrong_type(FIELD, "a message id (an integer, 0 or more)")),
    }
}

/// An event cursor (`since`, `Last-Event-ID`): an integer, 0 or more, written
/// as any integral number is (`18`, `18.0`, `1.8e1`: one rule for bodies and
/// queries). A non-integer is 400 `invalid_field`, as everywhere; an integer
/// out of range is `invalid_since`, naming `field` either way.
pub(super) fn event_cursor(text: Option<&str>, field: &str) -> Result<Option<EventId>, Response> {
    let Some(text) = text else {
        return Ok(None);
    };
    match integral(text) {
        None => Err(wrong_type(field, "an event id: an integer, 0 or more")),
        Some(Some(id)) if id >= 0 => Ok(Some(id)),
        Some(_) => Err(bad_field(
            ErrorCode::InvalidSince,
            field,
            &format!("`{field}` must be an event id: an integer, 0 or more"),
        )),
    }
}

/// The longest a long-poll may wait, in seconds.
pub const EVENTS_TIMEOUT_MAX: u32 = 120;

/// `timeout` of `GET /events`: whole seconds, 0 to 120 (written as any
/// integral number is); the configured default when absent; a non-integer is
/// 400 `invalid_field`, an integer out of range `invalid_timeout`.
pub(super) fn events_timeout(query: &Query, config: &Config) -> Result<u32, Response> {
    const FIELD: &str = "timeout";
    let Some(text) = query.get(FIELD) else {
        return Ok(config.events_timeout_default_secs.min(EVENTS_TIMEOUT_MAX));
    };
    bounded_integer(
        text,
        FIELD,
        0..=EVENTS_TIMEOUT_MAX,
        ("whole seconds (an integer)", "whole seconds"),
        ErrorCode::InvalidTimeout,
    )
}

/// `chat_type`: `"public"` or `"private"`; absent means `public`, for older
/// clients that do not send it; (issue 25) `"room"`, with the room in `room`.
pub(super) fn chat_type(body: &Body) -> Result<ChatType, Response> {
    const FIELD: &str = "chat_type";
    match string(body, FIELD)?.as_deref() {
        None | Some("public") => Ok(ChatType::Public),
        Some("private") => Ok(ChatType::Private),
        Some("room") => Ok(ChatType::Room(room_name(body, "room")?)),
        Some(_) => Err(bad_field(
            ErrorCode::InvalidChatType,
            FIELD,
            "`chat_type` must be \"public\", \"private\" or \"room\"",
        )),
    }
}

/// A query parameter that must be a positive integer (an id), written as a
/// JSON number (`17`, `17.0`): `None` when absent, 400 `invalid_field` for
/// anything else.
pub(super) fn query_id(query: &Query, field: &str) -> Result<Option<i64>, Response> {
    match query.get(field) {
        None => Ok(None),
        Some(text) => match integral(text) {
            Some(Some(id)) if id > 0 => Ok(Some(id)),
            _ => Err(wrong_type(field, "a positive integer")),
        },
    }
}

/// `message_id` of `GET /comments`: a required positive integer.
pub(super) fn query_message_id(query: &Query) -> Result<MessageId, Response> {
    query_id(query, "message_id")?.ok_or_else(|| missing("message_id"))
}

/// The most comments one `GET /comments` page holds.
pub const COMMENTS_LIMIT_MAX: u32 = 100;

/// `limit` of `GET /comments`: 1 to 100, `comments_per_message` when absent;
/// a non-integer is 400 `invalid_field`, an integer out of range
/// `invalid_limit`.
pub(super) fn query_limit(query: &Query, config: &Config) -> Result<u32, Response> {
    const FIELD: &str = "limit";
    let Some(text) = query.get(FIELD) else {
        return Ok(config.comments_per_message.clamp(1, COMMENTS_LIMIT_MAX));
    };
    bounded_integer(
        text,
        FIELD,
        1..=COMMENTS_LIMIT_MAX,
        ("an integer", "an integer"),
        ErrorCode::InvalidLimit,
    )
}

/// A query integer that must lie in `range` (written as any integral number
/// is): not an integer is 400 `invalid_field` ("must be `kind.0`"), one
/// outside the range 400 `out_of_range` ("must be `kind.1` from .. to ..").
pub(super) fn bounded_integer(
    text: &str,
    field: &str,
    range: RangeInclusive<u32>,
    kind: (&str, &str),
    out_of_range: ErrorCode,
) -> Result<u32, Response> {
    let (low, high) = (*range.start(), *range.end());
    match integral(text) {
        None => Err(wrong_type(field, kind.0)),
        Some(Some(n)) if (i64::from(low)..=i64::from(high)).contains(&n) => Ok(n as u32),
        Some(_) => Err(bad_field(
            out_of_range,
            field,
            &format!("`{field}` must be {} from {low} to {high}", kind.1),
        )),
    }
}

// (issue 26)

/// What `/edit` and `/delete` name: `comment_id` (a comment) or else
/// `message_id` (a message), a positive integer. Both at once is 400
/// `invalid_field` on `comment_id`: one request changes one thing.
pub(super) fn target(body: &Body) -> Result<Target, Response> {
    const FIELD: &str = "comment_id";
    match integer(body, FIELD)? {
        None => Ok(Target::Message(message_id(body)?)),
        Some(Some(id)) if id > 0 => {
            if body.get("message_id").is_some() {
                return Err(wrong_type(FIELD, "given without `message_id`"));
            }
            Ok(Target::Comment(id))
        }
        Some(_) => Err(wrong_type(FIELD, "a positive integer")),
    }
}

/// `emoji` of `/react`: one emoji (`reactions::is_valid_emoji`), else 400
/// `invalid_emoji`.
pub(super) fn emoji(body: &Body) -> Result<String, Response> {
    const FIELD: &str = "emoji";
    let emoji = required_string(body, FIELD)?;
    if crate::reactions::is_valid_emoji(&emoji) {
        Ok(emoji)
    } else {
        Err(bad_field(
            ErrorCode::InvalidEmoji,
            FIELD,
            "`emoji` must be one emoji: 1 to 10 characters, none of them ASCII, whitespace or control",
        ))
    }
}

/// An optional boolean, `false` when absent.
pub(super) fn flag(body: &Body, field: &str) -> Result<bool, Response> {
    body.get(field)
        .map(|raw| {
            serde_json::from_str::<bool>(raw.get()).map_err(|_| wrong_type(field, "true or false"))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}
// Issue 25: `GET /messages` and `GET /users`.

/// The most messages one `GET /messages` page holds.
pub const MESSAGES_LIMIT_MAX: u32 = 100;

/// The most users one `GET /users` page holds (and its default).
pub const USERS_LIMIT_MAX: u32 = 100;
const USERS_LIMIT_DEFAULT: u32 = 50;

/// `chat` of `GET /messages`: required; `public_chat` (any case), a user
/// name or a `#room`, as `chat_with` is.
pub(super) fn query_chat(query: &Query, field: &str) -> Result<ChatRef, Response> {
    optional_query_chat(query, field)?.ok_or_else(|| missing(field))
}

/// `chat` of `GET /search`: as [`query_chat`], but absent is `None` (every
/// chat), not an error.
pub(super) fn optional_query_chat(query: &Query, field: &str) -> Result<Option<ChatRef>, Response> {
    match query.get(field) {
        None => Ok(None),
        Some(name) if name.eq_ignore_ascii_case(PUBLIC_CHAT_NAME) => Ok(Some(ChatRef::Public)),
        Some(name) if is_valid_user_name(name) => Ok(Some(ChatRef::Private(name.to_owned()))),
        Some(name) if name.starts_with('#') => match is_valid_room_name(name) {
            true => Ok(Some(ChatRef::Room(name.to_owned()))),
            false => Err(invalid_room_name(field)),
        },
        Some(_) => Err(invalid_user_name(field)),
    }
}

/// A `limit` of 1 to `max`, `default` when absent; a non-integer is 400
/// `invalid_field`, an integer out of range `invalid_limit`.
pub(super) fn query_page_limit(query: &Query, default: u32, max: u32) -> Result<u32, Response> {
    const FIELD: &str = "limit";
    let Some(text) = query.get(FIELD) else {
        return Ok(default.clamp(1, max));
    };
    bounded_integer(
        text,
        FIELD,
        1..=max,
        ("an integer", "an integer"),
        ErrorCode::InvalidLimit,
    )
}

/// `limit` of `GET /messages`: 1 to 100, `messages_page_default` when absent.
pub(super) fn messages_limit(query: &Query, config: &Config) -> Result<u32, Response> {
    query_page_limit(query, config.messages_page_default, MESSAGES_LIMIT_MAX)
}

/// `limit` of `GET /users`: 1 to 100, 50 when absent.
pub(super) fn users_limit(query: &Query) -> Result<u32, Response> {
    query_page_limit(query, USERS_LIMIT_DEFAULT, USERS_LIMIT_MAX)
}

/// `after` of `GET /users`: a user name (the last of the previous page).
pub(super) fn query_user_name(query: &Query, field: &str) -> Result<Option<String>, Response> {
    match query.get(field) {
        None => Ok(None),
        Some(name) if is_valid_user_name(name) => Ok(Some(name.to_owned())),
        Some(_) => Err(invalid_user_name(field)),
    }
}
