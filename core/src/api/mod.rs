//! The API codec: routes a [`Request`](crate::http::Request) and decodes its
//! JSON into a [`Command`](crate::command::Command), and encodes an
//! [`Outcome`](crate::command::Outcome) into a
//! [`Response`](crate::http::Response) with API.md's bodies.
//!
//! Decoding goes in a fixed order, each step able to refuse the request:
//!
//! 1. the method: one that is not standard (GET, HEAD, POST, PUT, DELETE,
//!    PATCH, OPTIONS, TRACE, CONNECT) is 501 `not_implemented`, whatever the path;
//! 2. the route (`routes`): exact match on the path, the query ignored;
//!    unknown path 404 `not_found`, known path with another method 405
//!    `method_not_allowed` with `Allow`;
//! 3. authentication (`auth`), except for `/get-token`: 401 `unauthorized`
//!    with `WWW-Authenticate: Bearer`;
//! 4. the body (`body`): 400 `invalid_json` unless a JSON object (empty =
//!    `{}`); ignored for `GET /status`;
//! 5. the fields (`fields`): 400 `missing_field`, `invalid_field`,
//!    `invalid_user_name`, `invalid_text`, `invalid_messages_number` or
//!    `invalid_chat_type`, each naming its `field`.

mod auth;
mod body;
mod decode;
mod encode;
mod error;
mod fields;
mod routes;

pub use decode::decode;
pub use encode::encode;
pub use error::error_response;
pub use fields::{is_valid_text, is_valid_user_name, PUBLIC_CHAT_NAME};
pub use routes::Route;
