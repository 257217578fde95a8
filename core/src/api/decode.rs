//! Request -> [`Command`].

use super::accept::wants_event_stream;
use super::assets;
use super::auth::bearer;
use super::body::Body;
use super::fields;
use super::query::Query;
use super::routes::Route;
use crate::command::{Command, EventsWait};
use crate::config::Config;
use crate::http::{Request, Response};
use crate::token::{Token, TokenHash};
use std::net::IpAddr;

/// Routes and decodes a request from `client` (its client address, see
/// `client_addr`). `fresh_token` is called only for a
/// well-formed `POST /get-token`, to draw the new token's bytes. A request
/// that is refused before it reaches the rules (404, 405, 401, 400) gets
/// its response here, and so does a request for a file of the web client
/// (`assets`), which needs no store; the order of the checks is in the
/// [module docs](crate::api).
pub fn decode(
    request: &Request,
    config: &Config,
    client: IpAddr,
    fresh_token: &mut dyn FnMut() -> Token,
) -> Result<Command, Response> {
    if let Some(response) = assets::answer(request) {
        return Err(response);
    }
    let route = Route::of(request)?;
    Ok(match route {
        Route::GetToken => {
            let body = Body::parse(&request.body)?;
            let user_name = fields::user_name(&body, "user_name")?;
            Command::GetToken {
                user_name,
                token: fresh_token(),
                client,
            }
        }
        // A GET body is read by the HTTP layer and ignored here.
        Route::Status => Command::Status {
            caller: bearer(request)?,
        },
        Route::Connect => {
            let (caller, body) = authed_body(request)?;
            Command::Connect {
                caller,
                chat: fields::chat_ref(&body, "chat_with")?,
                messages_number: fields::messages_number(&body, config)?,
            }
        }
        Route::Send => {
            let (caller, body) = authed_body(request)?;
            Command::Send {
                caller,
                text: fields::text(&body, "message", config)?,
                to: fields::chat_ref(&body, "send_to")?,
            }
        }
        Route::Unban => {
            let (caller, body) = authed_body(request)?;
            Command::Unban {
                caller,
                user_name: fields::user_name(&body, "user_name")?,
            }
        }
        Route::Comment => {
            let (caller, body) = authed_body(request)?;
            Command::Comment {
                caller,
                message_id: fields::message_id(&body)?,
                text: fields::text(&body, "comment", config)?,
            }
        }
        Route::Comments => {
            let caller = bearer(request)?;
            let query = Query::parse(&request.target, &["message_id", "before", "limit"])?;
            Command::Comments {
                caller,
                message_id: fields::query_message_id(&query)?,
                before: fields::query_id(&query, "before")?,
                limit: fields::query_limit(&query, config)?,
            }
        }
        Route::Events => {
            let caller = bearer(request)?;
            let query = Query::parse(&request.target, &["since", "timeout"])?;
            let since = fields::event_cursor(query.get("since"), "since")?;
            let timeout_secs = fields::events_timeout(&query, config)?;
            if wants_event_stream(request) {
                // A reconnecting EventSource says where it stopped.
                let resumed = request.single_header("last-event-id");
                let resumed = resumed.map(|v| std::str::from_utf8(v).unwrap_or("-").trim());
                let last = fields::event_cursor(resumed, "Last-Event-ID")?;
                Command::Events {
                    caller,
                    since: last.or(since),
                    wait: EventsWait::Stream,
                }
            } else {
                Command::Events {
                    caller,
                    since,
                    wait: EventsWait::Poll { timeout_secs },
                }
            }
        }
        Route::Read => {
            let (caller, body) = authed_body(request)?;
            Command::Read {
                caller,
                chat: fields::chat_ref(&body, "chat_with")?,
                up_to: fields::up_to(&body)?,
            }
        }
        // Answered by the store (a read), not the rules; no auth, body ignored.
        Route::Health => Command::Health,
        Route::Report => {
            let (caller, body) = authed_body(request)?;
            Command::Report {
                caller,
                target: fields::user_name(&body, "report_on")?,
                chat_type: fields::chat_type(&body)?,
            }
        }
        Route::Messages => {
            let caller = bearer(request)?;
            let query = Query::parse(&request.target, &["chat", "before", "limit"])?;
            Command::Messages {
                caller,
                chat: fields::query_chat(&query, "chat")?,
                before: fields::query_id(&query, "before")?,
                limit: fields::messages_limit(&query, config)?,
            }
        }
        Route::Users => {
            let caller = bearer(request)?;
            let query = Query::parse(&request.target, &["q", "after", "limit"])?;
            Command::Users {
                caller,
                prefix: query.get("q").unwrap_or_default().to_owned(),
                after: fields::query_user_name(&query, "after")?,
                limit: fields::users_limit(&query)?,
            }
        }
        // (issue 25) rooms.
        Route::Rooms => {
            let caller = bearer(request)?;
            let query = Query::parse(&request.target, &["q"])?;
            Command::Rooms {
                caller,
                prefix: query.get("q").unwrap_or_default().to_owned(),
            }
        }
        Route::CreateRoom => {
            let (caller, body) = authed_body(request)?;
            Command::CreateRoom {
                caller,
                room: fields::room_name(&body, "room")?,
                public: fields::visibility(&body)?,
                topic: fields::topic(&body)?,
            }
        }
        Route::Join | Route::Leave => {
            let (caller, body) = authed_body(request)?;
            let room = fields::room_name(&body, "room")?;
            match route {
                Route::Join => Command::Join { caller, room },
                _ => Command::Leave { caller, room },
            }
        }
        Route::Invite => {
            let (caller, body) = authed_body(request)?;
            Command::Invite {
                caller,
                room: fields::room_name(&body, "room")?,
                user_name: fields::user_name(&body, "user_name")?,
            }
        }
    })
}

/// The caller's token, checked before the body is looked at.
fn authed_body(request: &Request) -> Result<(TokenHash, Body<'_>), Response> {
    let caller = bearer(request)?;
    Ok((caller, Body::parse(&request.body)?))
}
