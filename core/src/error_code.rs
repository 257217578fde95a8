//! Every `code` the core can put in a response body (API.md's error and
//! warning objects, and `/health`'s 503).
//!
//! Each emitter takes an [`ErrorCode`], never a string, so this enum is the
//! complete list: [`ErrorCode::ALL`] is what the OpenAPI description's
//! `ErrorCode` schema is checked against
//! (`core/tests/integration/openapi.rs`). A new code is a new variant here,
//! and that test then asks for it in `docs/openapi.json`.

/// Declares the enum, its strings and `ALL` from one list, so that none of
/// the three can miss a code.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// A snake_case error or warning `code`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }
    };
}

error_codes! {
    // The HTTP machine's protocol errors (`http::HttpError`).
    /// 400: malformed HTTP.
    BadRequest => "bad_request",
    /// 414.
    UriTooLong => "uri_too_long",
    /// 431.
    HeadersTooLarge => "headers_too_large",
    /// 413.
    BodyTooLarge => "body_too_large",
    /// 501: a transfer coding other than `chunked`.
    NotImplemented => "not_implemented",
    /// 505.
    VersionNotSupported => "version_not_supported",
    /// 408: the request was not complete within the header timeout.
    RequestTimeout => "request_timeout",
    // Routing and decoding (`api`).
    /// 404: unknown path.
    NotFound => "not_found",
    /// 405: known path, other method.
    MethodNotAllowed => "method_not_allowed",
    /// 401: missing, malformed or unknown token.
    Unauthorized => "unauthorized",
    /// 400: the body is not one JSON object.
    InvalidJson => "invalid_json",
    /// 400: an unknown, repeated or malformed query parameter.
    InvalidQuery => "invalid_query",
    /// 400: a required field is absent.
    MissingField => "missing_field",
    /// 400: a field has the wrong JSON type.
    InvalidField => "invalid_field",
    /// 400.
    InvalidUserName => "invalid_user_name",
    /// 400.
    InvalidText => "invalid_text",
    /// 400.
    InvalidMessagesNumber => "invalid_messages_number",
    /// 400.
    InvalidChatType => "invalid_chat_type",
    /// 400: `limit` of `GET /comments`.
    InvalidLimit => "invalid_limit",
    /// 400: a `GET /events` cursor (`since`, `Last-Event-ID`) that is not an
    /// event id, or is beyond the newest event.
    InvalidSince => "invalid_since",
    /// 400: `timeout` of `GET /events`.
    InvalidTimeout => "invalid_timeout",
    /// 400: an `Idempotency-Key` that is not 1 to 64 of `A-Z a-z 0-9 - _`,
    /// or given twice.
    InvalidIdempotencyKey => "invalid_idempotency_key",
    /// 422: an `Idempotency-Key` already used with another path or body.
    IdempotencyKeyReused => "idempotency_key_reused",
    // The rules' refusals (`command::Failure`) and warnings.
    /// 409.
    TokenAlreadyIssued => "token_already_issued",
    /// 404.
    UserNotFound => "user_not_found",
    /// 404.
    MessageNotFound => "message_not_found",
    /// 400: a field names the caller.
    SelfTarget => "self_target",
    /// 409.
    AlreadyReported => "already_reported",
    /// 403.
    NoSharedChat => "no_shared_chat",
    /// 429 warning.
    QuotaExceeded => "quota_exceeded",
    /// 429 warning.
    CommentQuotaExceeded => "comment_quota_exceeded",
    /// 403 warning.
    Banned => "banned",
    /// 429 warning: `--register-rate` new users from one client address.
    RegisterRateExceeded => "register_rate_exceeded",
    /// 429 warning: `--max-streams-per-user` streams and long-polls held.
    TooManyStreams => "too_many_streams",
    /// 403: the reporter is too new, or never sent a message.
    ReporterNotTrusted => "reporter_not_trusted",
    /// 403: `POST /unban` by someone not named by `--moderator`.
    NotAModerator => "not_a_moderator",
    // Server-side trouble.
    /// 503: the database cannot be read or written.
    StoreUnavailable => "store_unavailable",
    /// 503: too many connections, or the store's queue is full.
    Overloaded => "overloaded",
    /// 500: a bug (a body that cannot be encoded).
    InternalError => "internal_error",
    // (issue 25) rooms.
    InvalidRoomName => "invalid_room_name",
    RoomExists => "room_exists",
    RoomNotFound => "room_not_found",
    NotAMember => "not_a_member",
    AlreadyAMember => "already_a_member",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_are_distinct_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{text}"
            );
        }
    }
}
