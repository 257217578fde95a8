//! `GET /search?q=&chat=&before=&limit=` (issue 27) -> [`Command::Search`].

use super::auth::bearer;
use super::error::bad_field;
use super::fields::{self, bounded_integer, query_id};
use super::query::Query;
use crate::command::Command;
use crate::config::Config;
use crate::error_code::ErrorCode;
use crate::http::{Request, Response};
use crate::search::{SearchQuery, QUERY_MAX_CHARS};

/// A page of results when `limit` is not given.
pub const SEARCH_LIMIT_DEFAULT: u32 = 20;
/// The most results one page holds.
pub const SEARCH_LIMIT_MAX: u32 = 100;

pub(super) fn decode(request: &Request, _config: &Config) -> Result<Command, Response> {
    let caller = bearer(request)?;
    let query = Query::parse(&request.target, &["q", "chat", "before", "limit"])?;
    let text = query.get("q").unwrap_or("");
    let Some(search) = SearchQuery::parse(text) else {
        let message = format!(
            "`q` must have 1 to {QUERY_MAX_CHARS} characters and at least one word \
             (letters or digits)"
        );
        return Err(bad_field(ErrorCode::InvalidQuery, "q", &message));
    };
    // `public_chat`, a user name (the private chat with them) or a `#room`.
    let chat = fields::optional_query_chat(&query, "chat")?;
    let limit = match query.get("limit") {
        None => SEARCH_LIMIT_DEFAULT,
        Some(text) => bounded_integer(
            text,
            "limit",
            1..=SEARCH_LIMIT_MAX,
            ("an integer", "an integer"),
            ErrorCode::InvalidLimit,
        )?,
    };
    Ok(Command::Search {
        caller,
        query: Box::new(search),
        chat,
        before: query_id(&query, "before")?,
        limit,
    })
}
