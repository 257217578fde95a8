//! The commands that save a token: `register` (a new user) and `login` (an
//! existing user whose token the caller already has).

use crate::api::Api;
use crate::failure::Failure;
use crate::http::Connection;
use crate::output::Printer;
use crate::render;
use crate::server_url::ServerUrl;
use crate::tokens::TokenFile;

/// `agora register NAME`: a new user and its token, saved.
pub fn register(
    http: Connection,
    file: &mut TokenFile,
    name: &str,
    printer: Printer,
) -> Result<(), Failure> {
    let server = http.server().clone();
    let reply = Api::new(http, None).get_token(name).map_err(|f| {
        f.with_hint("token_already_issued", || {
            format!("if you have its token, save it with `agora login {name} --token TOKEN`")
        })
    })?;
    let (user, token) = (&reply.value.user_name, &reply.value.token);
    save(file, &server, user, token).map_err(|why| {
        Failure::Usage(format!(
            "{user} is registered, but its token could not be saved ({why}); keep it: {token}"
        ))
    })?;
    printer.answer(&reply.raw, || {
        render::token_saved("registered", user, &server.to_string(), &path_of(file))
    });
    Ok(())
}

/// `agora login NAME --token TOKEN`: saves the token once the server says it
/// is NAME's (`GET /status` answers `connected_as`, names compared without
/// regard to case), under the name as the server spells it.
pub fn login(
    http: Connection,
    file: &mut TokenFile,
    name: &str,
    token: &str,
    printer: Printer,
) -> Result<(), Failure> {
    let server = http.server().clone();
    let token = token.trim(); // as pasted, perhaps with a newline
    let reply = Api::new(http, Some(token.to_owned()))
        .status()
        .map_err(|f| {
            f.with_hint("unauthorized", || {
                format!("{server} knows no user with this token; nothing was saved")
            })
        })?;
    let user = &reply.value.connected_as;
    if !user.eq_ignore_ascii_case(name) {
        return Err(Failure::Usage(format!(
            "this token is {user}'s on {server}, not {name}'s; nothing was saved \
             (`agora login {user} --token TOKEN` saves it for {user})"
        )));
    }
    save(file, &server, user, token)
        .map_err(|why| Failure::Usage(format!("the token could not be saved ({why})")))?;
    printer.answer(&reply.raw, || {
        render::token_saved("logged in as", user, &server.to_string(), &path_of(file))
    });
    Ok(())
}

pub fn save(
    file: &mut TokenFile,
    server: &ServerUrl,
    user: &str,
    token: &str,
) -> Result<(), String> {
    file.insert(server, user, token);
    file.save()
        .map_err(|e| format!("{}: {e}", file.path().display()))
}

fn path_of(file: &TokenFile) -> String {
    file.path().display().to_string()
}
