//! Accounts and devices (issue 28): `agora login NAME` with a password,
//! `agora passwd`, `agora sessions`, `agora logout [--device ID]`.

use crate::account::save;
use crate::api::Api;
use crate::failure::Failure;
use crate::http::Connection;
use crate::output::Printer;
use crate::render::clean;
use crate::tokens::TokenFile;
use serde::Deserialize;
use std::io::{BufRead, IsTerminal};

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LoggedIn {
    pub token: String,
    pub user_name: String,
    pub device_id: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Session {
    pub device_id: String,
    pub device: String,
    pub created: String,
    pub last_used: String,
    pub current: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Sessions {
    pub sessions: Vec<Session>,
}

/// A password: asked on the terminal without echo, or one line of standard
/// input when that is not a terminal (scripts, tests).
fn password(prompt: &str) -> Result<String, Failure> {
    let read = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| {
            let end = line.trim_end_matches(['\r', '\n']).len();
            line.truncate(end);
            line
        })
    };
    read.map_err(|e| Failure::Usage(format!("cannot read the password: {e}")))
}

/// The label of this device: `--device`, else the host's name.
fn device_label(device: Option<&str>) -> String {
    if let Some(device) = device {
        return device.to_owned();
    }
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim();
    let host = if host.is_empty() { "agora" } else { host };
    format!("agora CLI on {host}").chars().take(64).collect()
}

/// `agora login NAME`: a new device token for NAME, saved.
pub fn login(
    http: Connection,
    file: &mut TokenFile,
    name: &str,
    device: Option<&str>,
    printer: Printer,
) -> Result<(), Failure> {
    let server = http.server().clone();
    let secret = password(&format!("password for {name}: "))?;
    let reply = Api::new(http, None)
        .login(name, &secret, &device_label(device))
        .map_err(|f| {
            f.with_hint("login_failed", || {
                "no user with this name has this password (set one with `agora passwd`)".to_owned()
            })
        })?;
    let (user, token) = (&reply.value.user_name, &reply.value.token);
    save(file, &server, user, token)
        .map_err(|why| Failure::Usage(format!("the token could not be saved ({why})")))?;
    printer.answer(&reply.raw, || {
        format!(
            "signed in as {} on {server} (device {}); token saved in {}\n",
            clean(user),
            clean(&reply.value.device_id),
            file.path().display()
        )
    });
    Ok(())
}

/// `agora passwd`: asks for the current password first (empty when none is
/// set yet), then the new one twice.
pub fn passwd(api: &mut Api, printer: Printer) -> Result<(), Failure> {
    let old = password("current password (empty if none): ")?;
    let new = password("new password (8 to 256 characters): ")?;
    if std::io::stdin().is_terminal() && password("new password again: ")? != new {
        return Err(Failure::Usage(
            "the two new passwords differ; nothing was changed".into(),
        ));
    }
    let old = (!old.is_empty()).then_some(old.as_str());
    let reply = api.set_password(&new, old)?;
    printer.answer(&reply.raw, || "password set\n".to_owned());
    Ok(())
}

/// `agora sessions`: one line per device, this one marked.
pub fn list(api: &mut Api, printer: Printer) -> Result<(), Failure> {
    let reply = api.sessions()?;
    printer.answer(&reply.raw, || {
        let mut out = String::new();
        for s in &reply.value.sessions {
            let label = if s.device.is_empty() {
                "(first token)".to_owned()
            } else {
                clean(&s.device)
            };
            let mark = if s.current { "  <- this device" } else { "" };
            out.push_str(&format!(
                "{:>6}  {label}  signed in {}  last used {}{mark}\n",
                clean(&s.device_id),
                clean(&s.created),
                clean(&s.last_used)
            ));
        }
        out
    });
    Ok(())
}

/// `agora logout [--device ID]`.
pub fn logout(
    api: &mut Api,
    user: &str,
    device: Option<&str>,
    printer: Printer,
) -> Result<(), Failure> {
    let reply = api.logout(device)?;
    printer.answer(&reply.raw, || match device {
        Some(id) => format!("signed out device {}\n", clean(id)),
        None => format!(
            "signed out {}: the saved token no longer works (`agora login {}` signs in again)\n",
            clean(user),
            clean(user)
        ),
    });
    Ok(())
}
