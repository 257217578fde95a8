//! The API codec: routes a [`Request`](crate::http::Request) and decodes its
//! JSON into a [`Command`](crate::command::Command), and encodes an
//! [`Outcome`](crate::command::Outcome) into a
//! [`Response`](crate::http::Response) with API.md's bodies.
//!
//! Decoding goes in a fixed order, each step able to refuse the request:
//!
//! 0. the web client's files ([`assets`]): `GET /` and `/assets/...` are
//!    answered from memory (200, 304 for a matching `If-None-Match`, 405
//!    with `Allow: GET, HEAD` for another method), without the store;
//! 1. the route (`routes`): exact match on the path;
//!    unknown path 404 `not_found` whatever the method, known path with any
//!    other method (standard or not) 405 `method_not_allowed` with `Allow`.
//!    No method gets a 5xx: the HTTP machine keeps 501 for what it can name as
//!    unimplemented (a transfer coding other than `chunked`, CONNECT's
//!    authority-form target);
//! 2. authentication (`auth`), except for `/get-token` and `/health`: 401 `unauthorized`
//!    with `WWW-Authenticate: Bearer`;
//! 3. the body (`body`): 400 `invalid_json` unless a JSON object (empty =
//!    `{}`); ignored for the GET routes. The query string (`query`): routes
//!    that take parameters (`GET /comments`) refuse an unknown or repeated
//!    one with 400 `invalid_query`; the others ignore the query;
//! 4. the fields (`fields`): 400 `missing_field`, `invalid_field`,
//!    `invalid_user_name`, `invalid_text`, `invalid_messages_number`,
//!    `invalid_chat_type` or `invalid_limit`, each naming its `field`.
//!
//! Steps 1 and 2 need only the head: [`precheck`] gives their refusal alone,
//! for the HTTP machine to answer a head with `Expect: 100-continue` before
//! its body is sent (RFC 9110 §10.1.1). It and `decode` refuse a head the
//! same way.

mod accept;
mod accept_encoding;
pub mod assets;
mod auth;
mod body;
mod decode;
mod decode_accounts;
mod encode;
mod error;
mod fields;
mod number;
mod precheck;
mod published;
mod query;
mod rooms_json;
mod routes;
// (issue 27)
mod search_body;
mod search_query;

pub use crate::error_code::ErrorCode;
pub use decode::decode;
pub use encode::{encode, event_stream_head, events_page, sse_frame, SSE_PING};
pub use error::error_response;
pub use fields::{is_room_name_prefix, MESSAGES_LIMIT_MAX, USERS_LIMIT_MAX};
pub use fields::{
    is_valid_text, is_valid_user_name, COMMENTS_LIMIT_MAX, EVENTS_TIMEOUT_MAX, MAX_USER_NAME,
    PUBLIC_CHAT_NAME,
};
pub use precheck::precheck;
pub use published::{Encoded, Published};
pub use routes::Route;
pub use search_query::{SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX};
