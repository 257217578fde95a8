//! `Idempotency-Key` (API.md, "Retries and abuse"): a POST that carries a
//! key is applied at most once per key and scope; a request repeating the
//! key gets the first answer again.
//!
//! The rule is written once here, over [`KeyLog`] (the store's table of kept
//! answers) and [`View`]: the store calls [`apply_once`] inside the
//! command's own transaction (and savepoint), so the key and its answer are
//! committed with the change or not at all. That is what makes a retry safe
//! after an answer that was lost, or a 503 that hid a commit.

use crate::api::error_response;
use crate::command::{Command, Failure, Outcome};
use crate::error_code::ErrorCode;
use crate::http::{Request, Response};
use crate::server_secret::{SealKey, ServerSecret};
use crate::time::UnixMillis;
use crate::view::{StoreError, View, ViewResult};

/// The request header.
pub const HEADER: &str = "Idempotency-Key";
/// The response header on an answer given again.
pub const REPLAYED_HEADER: &str = "Idempotency-Replayed";
/// How long a key and its answer are kept (and answered).
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// Expired keys deleted per keyed command: more than the one it may add, so
/// the table never holds much more than a day of keys.
pub const PRUNE_PER_COMMAND: u32 = 2;
const MAX_KEY_LEN: usize = 64;
/// The largest answer body kept. Only a `/connect` page can be larger (up
/// to 2 MiB): keeping those would let one client write megabytes a request
/// into the database. Its key is kept without it (see [`StoredAnswer::NOT_KEPT`]).
pub const KEEP_MAX_BODY: usize = 64 * 1024;

/// A keyed request: its key, and the fingerprint of what it asked (method,
/// target and body), so that the key reused for another request is told;
/// both fingerprint and `seal` are keyed by the server secret (see
/// [`crate::server_secret`]): the database keeps neither a fast hash of a
/// body holding a password nor a new token in the clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyed {
    pub key: String,
    pub fingerprint: [u8; 32],
    /// Seals a kept answer that holds a new token (`/get-token`, `/login`).
    pub seal: SealKey,
}

/// A kept answer: the response as first sent (status, extra header fields
/// and body), nothing more; what the idempotency rule does with one is
/// below.
pub type StoredAnswer = Response;

impl StoredAnswer {
    /// The status kept for an answer too large to keep: the key still
    /// refuses another request, and a repeat is applied again.
    pub const NOT_KEPT: u16 = 0;

    fn not_kept() -> StoredAnswer {
        Response::json(StoredAnswer::NOT_KEPT, Vec::new())
    }

    /// The answer again, marked as such.
    pub fn replay(&self) -> Response {
        let mut again = self.clone();
        again
            .headers
            .push((REPLAYED_HEADER.to_owned(), "true".to_owned()));
        again
    }

    /// The header fields as stored: one `name: value` a line (neither holds
    /// a line break: the encoder writes them).
    pub fn headers_text(&self) -> String {
        self.headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\n"))
            .collect()
    }

    /// The inverse of [`headers_text`](StoredAnswer::headers_text).
    pub fn parse_headers(text: &str) -> Vec<(String, String)> {
        text.lines()
            .filter_map(|line| line.split_once(": "))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    /// A kept key's fingerprint and answer from the columns both schemas
    /// keep them in (`headers` as [`headers_text`](StoredAnswer::headers_text)
    /// wrote them); a `StoreError` for a fingerprint that is not 32 bytes.
    pub fn from_columns(
        fingerprint: Vec<u8>,
        status: u16,
        headers: &str,
        body: Vec<u8>,
    ) -> ViewResult<([u8; 32], StoredAnswer)> {
        let fingerprint = fingerprint
            .try_into()
            .map_err(|_| StoreError("a stored idempotency fingerprint is not 32 bytes".into()))?;
        let answer = StoredAnswer {
            status,
            headers: StoredAnswer::parse_headers(headers),
            body,
        };
        Ok((fingerprint, answer))
    }
}

/// The request's key, if it has one; a 400 `invalid_idempotency_key` when
/// the header is malformed or repeated.
pub fn keyed(request: &Request, secret: &ServerSecret) -> Result<Option<Keyed>, Response> {
    let mut values = request.header_values(HEADER);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("Idempotency-Key is given more than once"));
    }
    let valid = (1..=MAX_KEY_LEN).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    if !valid {
        return Err(invalid(
            "Idempotency-Key must be 1 to 64 of A-Z a-z 0-9 - _",
        ));
    }
    let key = String::from_utf8_lossy(value).into_owned();
    Ok(Some(Keyed {
        fingerprint: fingerprint(request, secret),
        seal: secret.seal_key(&key),
        key,
    }))
}

fn invalid(message: &str) -> Response {
    error_response(400, ErrorCode::InvalidIdempotencyKey, message, None)
}

/// HMAC-SHA256 (keyed by the server secret) over method, target and body,
/// each length-prefixed so that no two requests give the same bytes. Not a
/// plain hash: a `/login` or `/password` body holds a password, and a fast
/// unkeyed hash of it in the database would let whoever reads the database
/// test guesses at GPU speed, around Argon2id.
fn fingerprint(request: &Request, secret: &ServerSecret) -> [u8; 32] {
    secret.fingerprint(&[
        request.method.as_bytes(),
        request.target.as_bytes(),
        &request.body,
    ])
}

/// A kept key to look for ([`KeyLog::find_key`]): the client's `key` in
/// `scope`, kept at or after `since`.
#[derive(Clone, Copy, Debug)]
pub struct KeyLookup<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub since: UnixMillis,
}

/// The store's table of kept answers, inside the command's transaction.
/// A key to keep: its `scope` (whose keys it is among), the client's `key`,
/// the request's `fingerprint`, the `answer` to give again, kept at `now`.
#[derive(Clone, Copy, Debug)]
pub struct KeptKey<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a [u8; 32],
    pub answer: &'a StoredAnswer,
    pub now: UnixMillis,
}

pub trait KeyLog {
    /// The fingerprint and answer kept for the key of `lookup`.
    fn find_key(&mut self, lookup: KeyLookup<'_>) -> ViewResult<Option<([u8; 32], StoredAnswer)>>;
    /// Keeps (or replaces an expired) key with its answer.
    fn keep_key(&mut self, kept: KeptKey<'_>) -> ViewResult<()>;
    /// Deletes up to `at_most` of the keys kept before `before`, oldest first.
    fn prune_keys(&mut self, before: UnixMillis, at_most: u32) -> ViewResult<()>;
}

/// Applies `command` once per key: the kept answer when its key was seen
/// (422 `idempotency_key_reused` when for another request), else `apply`'s
/// outcome, kept with the key unless it asks for a retry (a 503, or a
/// refusal with `Retry-After`) or is one that time lifts
/// (`reporter_not_trusted`).
/// An answer over [`KEEP_MAX_BODY`] (a long `/connect` page) is not kept:
/// a repeat gets a fresh page.
///
/// Keys are per user for a command with a token (the user it names; an
/// unknown token is refused 401 by the rules and nothing is kept), per
/// client address for `/get-token`.
pub fn apply_once<V: View + KeyLog>(
    view: &mut V,
    command: &Command,
    keyed: &Keyed,
    now: UnixMillis,
    apply: impl FnOnce(&mut V) -> ViewResult<Outcome>,
) -> ViewResult<Outcome> {
    let Some(scope) = scope(view, command)? else {
        return apply(view);
    };
    let since = UnixMillis(now.0.saturating_sub(KEEP_MS));
    view.prune_keys(since, PRUNE_PER_COMMAND)?;
    let lookup = KeyLookup {
        scope: &scope,
        key: &keyed.key,
        since,
    };
    if let Some((fingerprint, answer)) = view.find_key(lookup)? {
        if fingerprint != keyed.fingerprint {
            return Ok(Outcome::Failed(Failure::IdempotencyKeyReused));
        }
        if answer.status != StoredAnswer::NOT_KEPT {
            return Ok(Outcome::Replayed(unsealed(command, keyed, &scope, answer)?));
        }
        // A `/connect` whose page was too large to keep: a fresh page.
        return apply(view);
    }
    let outcome = apply(view)?;
    let response = crate::api::encode(&outcome);
    if !asks_for_a_retry(&response) && !passes_with_time(&outcome) {
        let answer = if response.body.len() > KEEP_MAX_BODY {
            StoredAnswer::not_kept()
        } else {
            sealed(command, keyed, &scope, response)
        };
        view.keep_key(KeptKey {
            scope: &scope,
            key: &keyed.key,
            fingerprint: &keyed.fingerprint,
            answer: &answer,
            now,
        })?;
    }
    Ok(outcome)
}

/// Whether the command's answer may hold a new token: its kept body is
/// sealed (issue 28: tokens are stored only as hashes).
fn answers_a_token(command: &Command) -> bool {
    matches!(command, Command::GetToken { .. })
        || matches!(command, Command::Account(account)
            if matches!(account.as_ref(), crate::accounts::AccountCommand::Login { .. }))
}

/// The answer as kept: its body sealed when it may hold a token.
fn sealed(command: &Command, keyed: &Keyed, scope: &str, answer: StoredAnswer) -> StoredAnswer {
    if !answers_a_token(command) {
        return answer;
    }
    StoredAnswer {
        body: keyed.seal.seal(scope, &answer.body),
        ..answer
    }
}

/// The kept answer as first sent: its body opened when it was sealed. One
/// that does not open was not written with this server's secret (the
/// store refuses to start on a database of another secret, so only a
/// changed row gets here): a store error, never a wrong answer.
fn unsealed(
    command: &Command,
    keyed: &Keyed,
    scope: &str,
    answer: StoredAnswer,
) -> ViewResult<StoredAnswer> {
    if !answers_a_token(command) {
        return Ok(answer);
    }
    let body = keyed.seal.open(scope, &answer.body).ok_or_else(|| {
        StoreError("a kept idempotent answer does not open with this server's secret".into())
    })?;
    Ok(StoredAnswer { body, ..answer })
}

/// A 503, or a refusal with `Retry-After` (a 429 quota or register-rate
/// warning, a 403 ban): it changed nothing and tells the client to send the
/// request again later, so its key must not keep it.
fn asks_for_a_retry(response: &Response) -> bool {
    response.status == 503
        || response
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("Retry-After"))
}

/// A refusal that the same request outgrows without the client doing
/// anything: a reporter becomes trusted as its account ages
/// (`--reporter-min-age`), so keeping `reporter_not_trusted` for 24 h would
/// refuse a retry that is by then allowed.
fn passes_with_time(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Failed(Failure::ReporterNotTrusted))
}

/// Whose keys the command's key is among: `user:<id>` or `address:<addr>`;
/// `None` when its token names no user.
fn scope(view: &mut impl View, command: &Command) -> ViewResult<Option<String>> {
    let address = match command {
        Command::GetToken { client, .. } => Some(client),
        Command::Account(account) => match account.as_ref() {
            crate::accounts::AccountCommand::Login { client, .. } => Some(client),
            _ => None,
        },
        _ => None,
    };
    if let Some(client) = address {
        return Ok(Some(format!("address:{client}")));
    }
    let Some(caller) = command.caller() else {
        return Ok(None);
    };
    Ok(view
        .user_by_token(caller)?
        .map(|user| format!("user:{}", user.id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Version;

    fn post(target: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: "POST".into(),
            target: target.into(),
            version: Version::Http11,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn code(response: Response) -> String {
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        format!("{} {}", response.status, body["code"].as_str().unwrap())
    }

    #[test]
    fn a_key_is_read_with_the_requests_fingerprint() {
        let secret = ServerSecret::new([3; 32]);
        let key = |target, value, body| {
            keyed(&post(target, &[("idempotency-key", value)], body), &secret)
                .unwrap()
                .unwrap()
        };
        let a = key("/send", "Ab-9_z", "{}");
        assert_eq!(a.key, "Ab-9_z");
        assert_eq!(a.fingerprint, key("/send", "other", "{}").fingerprint);
        assert_ne!(a.fingerprint, key("/send", "Ab-9_z", "{ }").fingerprint);
        assert_ne!(a.fingerprint, key("/connect", "Ab-9_z", "{}").fingerprint);
        // Length prefixes: moving bytes from target to body changes it.
        assert_ne!(
            key("/sen", "k", "d{}").fingerprint,
            key("/send", "k", "{}").fingerprint
        );
        assert_eq!(keyed(&post("/send", &[], "{}"), &secret), Ok(None));
        // Keyed by the secret: no plain hash of the body is kept.
        let other = ServerSecret::new([4; 32]);
        let elsewhere = keyed(
            &post("/send", &[("idempotency-key", "Ab-9_z")], "{}"),
            &other,
        );
        assert_ne!(a.fingerprint, elsewhere.unwrap().unwrap().fingerprint);
        assert_eq!(a.seal, secret.seal_key("Ab-9_z"));
    }

    #[test]
    fn a_malformed_or_repeated_key_is_400() {
        let secret = ServerSecret::default();
        let long = "k".repeat(65);
        for value in ["", "a b", "ü", "a.b", long.as_str()] {
            let refused = keyed(&post("/send", &[("Idempotency-Key", value)], ""), &secret);
            assert_eq!(code(refused.unwrap_err()), "400 invalid_idempotency_key");
        }
        let twice = post(
            "/send",
            &[("Idempotency-Key", "a"), ("idempotency-key", "a")],
            "",
        );
        assert_eq!(
            code(keyed(&twice, &secret).unwrap_err()),
            "400 invalid_idempotency_key"
        );
        let longest = "k".repeat(64);
        assert!(keyed(
            &post("/send", &[("Idempotency-Key", &longest)], ""),
            &secret
        )
        .is_ok());
    }

    #[test]
    fn a_kept_answer_is_replayed_as_it_was_with_its_headers() {
        let first = crate::api::encode(&Outcome::QuotaExceeded {
            until: UnixMillis(61_000),
            now: UnixMillis(0),
        });
        let answer = first.clone();
        let stored = StoredAnswer {
            headers: StoredAnswer::parse_headers(&answer.headers_text()),
            ..answer
        };
        let replayed = crate::api::encode(&Outcome::Replayed(stored));
        assert_eq!(
            (replayed.status, &replayed.body),
            (first.status, &first.body)
        );
        let mut expected = first.headers;
        expected.push(("Idempotency-Replayed".into(), "true".into()));
        assert_eq!(replayed.headers, expected);
    }
}
