//! Requests of accounts and devices (issue 28) -> [`AccountCommand`].

use super::auth::bearer;
use super::body::Body;
use super::error::{bad_field, error_response};
use super::fields::{self, is_valid_user_name};
use super::routes::Route;
use crate::accounts::{AccountCommand, PasswordCheck, Secret, MAX_DEVICE_CHARS, PASSWORD_CHARS};
use crate::error_code::ErrorCode;
use crate::http::{Request, Response};
use crate::token::Token;
use std::net::IpAddr;

/// Decodes one of `/password`, `/login`, `/sessions`, `/logout` (the
/// route is already known). Passwords are checked for length only; the
/// store checks and hashes them before the rules run.
pub(super) fn decode(
    route: Route,
    request: &Request,
    client: IpAddr,
    fresh_token: &mut dyn FnMut() -> Token,
) -> Result<AccountCommand, Response> {
    Ok(match route {
        Route::Login => {
            let body = Body::parse(&request.body)?;
            // A name no user can have is answered as an unknown one (the
            // contract: the same 401 for both), before anything is read.
            let user_name = required(&body, "user_name")?;
            if !is_valid_user_name(&user_name) {
                return Err(super::encode::login_failed());
            }
            // Any string: one that could never be set simply fails (401),
            // like any other wrong password.
            let password = Secret(required(&body, "password")?);
            let device = device(&body)?;
            AccountCommand::Login {
                user_name,
                password,
                device,
                token: fresh_token(),
                client,
                check: PasswordCheck::Unchecked,
            }
        }
        Route::Password => {
            let caller = bearer(request)?;
            let body = Body::parse(&request.body)?;
            let password = password(&body, "password")?;
            let old_password = fields::string(&body, "old_password")?.map(Secret);
            AccountCommand::SetPassword {
                caller,
                password,
                old_password,
                check: PasswordCheck::Unchecked,
                new_hash: None,
            }
        }
        Route::Sessions => AccountCommand::Sessions {
            caller: bearer(request)?,
        },
        _ => {
            let caller = bearer(request)?;
            let body = Body::parse(&request.body)?;
            let device = match fields::string(&body, "device_id")? {
                None => None,
                // An id that is not a number names no device.
                Some(id) => Some(id.parse::<i64>().map_err(|_| {
                    error_response(
                        404,
                        ErrorCode::DeviceNotFound,
                        "you have no device with this id",
                        Some("device_id"),
                    )
                })?),
            };
            AccountCommand::Logout { caller, device }
        }
    })
}

fn required(body: &Body, field: &str) -> Result<String, Response> {
    fields::string(body, field)?.ok_or_else(|| {
        bad_field(
            ErrorCode::MissingField,
            field,
            &format!("the field `{field}` is required"),
        )
    })
}

/// A required password of 8 to 256 characters (400 `invalid_password`).
fn password(body: &Body, field: &str) -> Result<Secret, Response> {
    let text = required(body, field)?;
    let chars = text.chars().take(PASSWORD_CHARS.end() + 1).count();
    if !PASSWORD_CHARS.contains(&chars) {
        return Err(bad_field(
            ErrorCode::InvalidPassword,
            field,
            &format!(
                "`{field}` must be {} to {} characters",
                PASSWORD_CHARS.start(),
                PASSWORD_CHARS.end()
            ),
        ));
    }
    Ok(Secret(text))
}

/// The optional device label, up to 64 characters (400 `invalid_field`).
fn device(body: &Body) -> Result<String, Response> {
    let label = fields::string(body, "device")?.unwrap_or_default();
    if label.chars().count() > MAX_DEVICE_CHARS {
        return Err(bad_field(
            ErrorCode::InvalidField,
            "device",
            &format!("`device` must be at most {MAX_DEVICE_CHARS} characters"),
        ));
    }
    Ok(label)
}
