//! What the head alone of a request already refuses, for the HTTP machine to
//! answer before `100 Continue`.

use super::assets;
use super::auth::bearer;
use super::routes::Route;
use crate::http::{Request, Response};

/// The refusal [`decode`](super::decode) gives from a request's head alone,
/// checked without its body and without the store: an unknown path (404),
/// another method (405, also on the web client's files), or a missing or malformed `Authorization` on a
/// route that needs one (401). Whether a well-formed token belongs to anyone
/// is for the rules, later. The server's [`Conn`](crate::http::Conn) calls it
/// for a head with `Expect: 100-continue`, so that a head refused on its own
/// gets its final status instead of `100 Continue` (RFC 9110 §10.1.1).
pub fn precheck(request: &Request) -> Option<Response> {
    if let Some(file) = assets::route(request) {
        return file.err();
    }
    match Route::of(request) {
        Err(refusal) => Some(refusal),
        Ok(route) if route.needs_auth() => bearer(request).err(),
        Ok(_) => None,
    }
}
