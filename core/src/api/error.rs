//! API.md's error object, as `api` builds it.

use crate::error_code::ErrorCode;
use crate::http::Response;

/// `{"error": message, "code": code}`, plus `"field": field` when one request
/// field is at fault: [`Response::error`], the one builder of that object.
pub fn error_response(
    status: u16,
    code: ErrorCode,
    message: &str,
    field: Option<&str>,
) -> Response {
    Response::error(status, code, message, field)
}

/// A 400 that names the faulty field.
pub(super) fn bad_field(code: ErrorCode, field: &str, message: &str) -> Response {
    error_response(400, code, message, Some(field))
}
