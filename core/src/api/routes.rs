//! Which endpoint a request is for.

use super::error::error_response;
use crate::error_code::ErrorCode;
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
    /// `POST /unban`, for moderators.
    Unban,
    /// `GET /health`, for load balancers (no auth).
    Health,
    // Issue 25: history and people.
    /// `GET /messages`: a page of a chat's history.
    Messages,
    /// `GET /users`: the people directory.
    Users,
    // (issue 25) rooms.
    /// `GET /rooms`.
    Rooms,
    /// `POST /rooms` (the same path as `Rooms`, another method).
    CreateRoom,
    Join,
    Leave,
    Invite,
}

impl Route {
    /// Every route, for lists of endpoints (metrics labels, the OpenAPI test).
    pub const ALL: [Route; 18] = [
        Route::GetToken,
        Route::Connect,
        Route::Status,
        Route::Send,
        Route::Comment,
        Route::Report,
        Route::Comments,
        Route::Events,
        Route::Read,
        Route::Unban,
        Route::Health,
        Route::Messages,
        Route::Users,
        Route::Rooms,
        Route::CreateRoom,
        Route::Join,
        Route::Leave,
        Route::Invite,
    ];

    /// The route's path.
    pub const fn path(self) -> &'static str {
        match self {
            Route::GetToken => "/get-token",
            Route::Connect => "/connect",
            Route::Status => "/status",
            Route::Send => "/send",
            Route::Comment => "/comment",
            Route::Report => "/report",
            Route::Comments => "/comments",
            Route::Events => "/events",
            Route::Read => "/read",
            Route::Unban => "/unban",
            Route::Health => "/health",
            Route::Messages => "/messages",
            Route::Users => "/users",
            Route::Rooms | Route::CreateRoom => "/rooms",
            Route::Join => "/join",
            Route::Leave => "/leave",
            Route::Invite => "/invite",
        }
    }

    /// The route of an exact path (no query), if any.
    pub fn of_path(path: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|route| route.path() == path)
    }

    /// The one method the route answers.
    pub fn method(self) -> &'static str {
        match self {
            Route::Status | Route::Comments | Route::Events | Route::Health | Route::Rooms => "GET",
            Route::Messages | Route::Users => "GET",
            _ => "POST",
        }
    }

    /// Whether the caller must show a token.
    pub fn needs_auth(self) -> bool {
        !matches!(self, Route::GetToken | Route::Health)
    }

    /// Routes a request: 404 for an unknown path whatever the method, 405
    /// with `Allow` for a known path and any other method, standard or not
    /// (API.md: a 5xx is never the answer to a client's mistake). Methods are
    /// case-sensitive (RFC 9110 §9.1).
    pub fn of(request: &Request) -> Result<Route, Response> {
        let Some(route) = Route::of_path(request.path()) else {
            return Err(error_response(
                404,
                ErrorCode::NotFound,
                "no such endpoint",
                None,
            ));
        };
        if request.method == route.method() {
            return Ok(route);
        }
        // (issue 25) A path may have a route per method (`/rooms`).
        let path = route.path();
        let same_path = || Route::ALL.into_iter().filter(move |r| r.path() == path);
        if let Some(route) = same_path().find(|r| request.method == r.method()) {
            return Ok(route);
        }
        let allow = same_path()
            .map(Route::method)
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!("this endpoint accepts only {allow}");
        Err(
            error_response(405, ErrorCode::MethodNotAllowed, &message, None)
                .with_header("Allow", allow),
        )
    }
}
