//! API.md's error object.

use crate::http::Response;
use serde::Serialize;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

/// `{"error": message, "code": code}`, plus `"field": field` when one request
/// field is at fault.
pub fn error_response(status: u16, code: &str, message: &str, field: Option<&str>) -> Response {
    let body = ErrorBody {
        error: message,
        code,
        field,
    };
    // Serializing a struct of strings cannot fail.
    Response::json(status, serde_json::to_vec(&body).unwrap_or_default())
}

/// A 400 that names the faulty field.
pub(super) fn bad_field(code: &str, field: &str, message: &str) -> Response {
    error_response(400, code, message, Some(field))
}
