//! Which endpoint a request is for.

use super::error::error_response;
use crate::http::{Request, Response};

/// The endpoints of API.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    GetToken,
    Connect,
    Status,
    Send,
    Comment,
    Report,
    Comments,
    Events,
    Read,
}

impl Route {
    /// The route of an exact path (no query), if any.
    pub fn of_path(path: &str) -> Option<Route> {
        Some(match path {
            "/get-token" => Route::GetToken,
            "/connect" => Route::Connect,
            "/status" => Route::Status,
            "/send" => Route::Send,
            "/comment" => Route::Comment,
            "/report" => Route::Report,
            "/comments" => Route::Comments,
            "/events" => Route::Events,
            "/read" => Route::Read,
            _ => return None,
        })
    }

    /// The one method the route answers.
    pub fn method(self) -> &'static str {
        match self {
            Route::Status | Route::Comments | Route::Events => "GET",
            _ => "POST",
        }
    }

    /// Whether the caller must show a token.
    pub fn needs_auth(self) -> bool {
        self != Route::GetToken
    }

    /// Routes a request: 404 for an unknown path whatever the method, 405
    /// with `Allow` for a known path and any other method, standard or not
    /// (API.md: a 5xx is never the answer to a client's mistake). Methods are
    /// case-sensitive (RFC 9110 §9.1).
    pub fn of(request: &Request) -> Result<Route, Response> {
        let Some(route) = Route::of_path(request.path()) else {
            return Err(error_response(404, "not_found", "no such endpoint", None));
        };
        if request.method != route.method() {
            let message = format!("this endpoint accepts only {}", route.method());
            return Err(error_response(405, "method_not_allowed", &message, None)
                .with_header("Allow", route.method()));
        }
        Ok(route)
    }
}
