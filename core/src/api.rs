//! The API codec: routes a [`Request`] and decodes its JSON into a [`Command`],
//! and encodes an [`Outcome`] into a [`Response`] with API.md's bodies.
//! (Being written: see issue 3.)

use crate::command::{Command, Outcome};
use crate::config::Config;
use crate::http::{Request, Response};
use crate::token::Token;

/// Routes and decodes a request. `fresh_token` is called only for
/// `POST /get-token`, to draw the new token's bytes. A request that is refused
/// before it reaches the rules (404, 405, 400, 401, ...) gets its response here.
pub fn decode(
    request: &Request,
    config: &Config,
    fresh_token: &mut dyn FnMut() -> Token,
) -> Result<Command, Response> {
    let _ = (request, config, fresh_token);
    todo!("issue 3")
}

/// The response API.md gives for an outcome.
pub fn encode(outcome: &Outcome) -> Response {
    let _ = outcome;
    todo!("issue 3")
}
