//! `Authorization: Bearer <token>`.

use super::error::error_response;
use crate::error_code::ErrorCode;
use crate::http::{Request, Response};
use crate::token::{Token, TokenHash};

/// The hash of the request's bearer token. Exactly one `Authorization` field,
/// the scheme `Bearer` in any case, one or more spaces, then exactly 32
/// lowercase hex characters (surrounding spaces and tabs are trimmed).
/// Anything else, two fields included, is 401 `unauthorized` with
/// `WWW-Authenticate: Bearer`. Whether a user has the token is for the rules.
pub(super) fn bearer(request: &Request) -> Result<TokenHash, Response> {
    let mut values = request.header_values("authorization");
    let value = match (values.next(), values.next()) {
        (Some(value), None) => value,
        (None, _) => return Err(unauthorized("an Authorization: Bearer token is required")),
        (Some(_), Some(_)) => return Err(unauthorized("send exactly one Authorization field")),
    };
    parse(value)
        .map(|token| token.hash())
        .ok_or_else(|| unauthorized("the Authorization field must be `Bearer <32 lowercase hex>`"))
}

fn parse(value: &[u8]) -> Option<Token> {
    let value = value.trim_ascii();
    let space = value.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = &rest[rest.iter().position(|&b| b != b' ')?..];
    Token::from_hex(token)
}

/// 401 with the challenge RFC 6750 asks for.
pub(crate) fn unauthorized(message: &str) -> Response {
    error_response(401, ErrorCode::Unauthorized, message, None)
        .with_header("WWW-Authenticate", "Bearer")
}
