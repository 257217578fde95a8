//! The bodies of accounts and devices (issue 28).

use super::{json, warning, Time};
use crate::accounts::{AccountOutcome, Device};
use crate::api::error::error_response;
use crate::error_code::ErrorCode;
use crate::http::Response;
use serde::Serialize;

pub(super) fn encode(outcome: &AccountOutcome) -> Response {
    match outcome {
        AccountOutcome::LoggedIn {
            token,
            user_name,
            device_id,
        } => json(
            200,
            &LoggedInBody {
                token: &token.to_hex(),
                user_name,
                device_id: device_id.to_string(),
            },
        ),
        AccountOutcome::PasswordSet => json(
            200,
            &InfoBody {
                info: "password set",
            },
        ),
        AccountOutcome::Sessions { current, devices } => json(
            200,
            &SessionsBody {
                sessions: devices
                    .iter()
                    .map(|d| SessionBody::of(d, *current))
                    .collect(),
            },
        ),
        AccountOutcome::LoggedOut { device_id } => json(
            200,
            &LoggedOutBody {
                info: "signed out",
                device_id: device_id.to_string(),
            },
        ),
        AccountOutcome::Touched => json(200, &InfoBody { info: "touched" }),
        AccountOutcome::LoginFailed => login_failed(),
        AccountOutcome::LoginThrottled { until, now } => warning(
            429,
            ErrorCode::LoginThrottled,
            "too many failed logins: try again later",
            now.seconds_until(*until),
        ),
        AccountOutcome::WrongPassword => error_response(
            403,
            ErrorCode::WrongPassword,
            "`old_password` is not the current password",
            Some("old_password"),
        ),
        AccountOutcome::DeviceNotFound => error_response(
            404,
            ErrorCode::DeviceNotFound,
            "you have no device with this id",
            Some("device_id"),
        ),
    }
}

#[derive(Serialize)]
struct LoggedInBody<'a> {
    token: &'a str,
    user_name: &'a str,
    device_id: String,
}

#[derive(Serialize)]
struct InfoBody {
    info: &'static str,
}

#[derive(Serialize)]
struct LoggedOutBody {
    info: &'static str,
    device_id: String,
}

#[derive(Serialize)]
struct SessionsBody<'a> {
    sessions: Vec<SessionBody<'a>>,
}

#[derive(Serialize)]
struct SessionBody<'a> {
    device_id: String,
    device: &'a str,
    created: Time,
    last_used: Time,
    current: bool,
}

impl SessionBody<'_> {
    fn of(device: &Device, current: i64) -> SessionBody<'_> {
        SessionBody {
            device_id: device.id.to_string(),
            device: &device.label,
            created: Time(device.created),
            last_used: Time(device.last_used),
            current: device.id == current,
        }
    }
}

/// 401 `login_failed`. Every 401 names its scheme (RFC 9110 §15.5.2): the
/// token that `/login` would have given.
pub(in crate::api) fn login_failed() -> Response {
    error_response(
        401,
        ErrorCode::LoginFailed,
        "unknown user name or wrong password",
        None,
    )
    .with_header("WWW-Authenticate", "Bearer")
}
