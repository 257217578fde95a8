//! The web client (`web/` at the top of the repository), embedded in the
//! binary and answered here from memory, without the store: `GET /` is the
//! page, `GET /assets/<file>` its style sheet, scripts and icon.
//!
//! Every file has a strong `ETag` (a hash of its bytes) and `Cache-Control:
//! no-cache`: a browser keeps its copy but asks each time, `If-None-Match`
//! gets `304` while the binary is the same, and a new binary's files are
//! picked up at once (the page and its modules always agree). The security
//! headers go with every file: a `Content-Security-Policy` that allows no
//! inline script or style and nothing from elsewhere, `nosniff`, no referrer,
//! no framing.
//!
//! A request whose `Accept-Encoding` takes gzip gets the file gzip-coded
//! (`Content-Encoding: gzip`): compressed once, at build time
//! (`core/build.rs`), and embedded beside the plain file. The coded form has
//! a tag of its own (the plain one with `-gzip`), as two representations
//! must (RFC 9110 §8.8.3), and every answer says `Vary: Accept-Encoding`, so
//! that a shared cache keeps the two apart.

use super::accept_encoding::accepts_gzip;
use super::error::error_response;
use crate::error_code::ErrorCode;
use crate::http::{Request, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The URL path it is served at.
    pub path: &'static str,
    /// Its name under `web/`.
    pub file: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    etag: OnceLock<String>,
    /// Its gzip-coded form, made by `core/build.rs`.
    gzip: &'static [u8],
    gzip_etag: OnceLock<String>,
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! web_file {
    ($path:literal, $file:literal, $content_type:expr) => {
        Asset {
            path: $path,
            file: $file,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../../web/", $file)),
            etag: OnceLock::new(),
            gzip: include_bytes!(concat!(env!("OUT_DIR"), "/web/", $file, ".gz")),
            gzip_etag: OnceLock::new(),
        }
    };
}

/// Every file of the web client.
pub static ASSETS: [Asset; 26] = [
    web_file!("/", "index.html", HTML),
    web_file!("/assets/style.css", "style.css", CSS),
    web_file!("/assets/favicon.svg", "favicon.svg", SVG),
    web_file!("/assets/js/main.js", "js/main.js", JS),
    web_file!("/assets/js/account.js", "js/account.js", JS),
    web_file!("/assets/js/api.js", "js/api.js", JS),
    web_file!("/assets/js/chat.js", "js/chat.js", JS),
    web_file!("/assets/js/composer.js", "js/composer.js", JS),
    web_file!("/assets/js/dom.js", "js/dom.js", JS),
    web_file!("/assets/js/drafts.js", "js/drafts.js", JS),
    web_file!("/assets/js/events.js", "js/events.js", JS),
    web_file!("/assets/js/format.js", "js/format.js", JS),
    web_file!("/assets/js/length.js", "js/length.js", JS),
    web_file!("/assets/js/messages.js", "js/messages.js", JS),
    web_file!("/assets/js/status.js", "js/status.js", JS),
    web_file!("/assets/js/time.js", "js/time.js", JS),
    // (issue 26) edits, reactions, mentions, notifications
    web_file!("/assets/edits.css", "edits.css", CSS),
    web_file!("/assets/js/edit.js", "js/edit.js", JS),
    web_file!("/assets/js/reactions.js", "js/reactions.js", JS),
    web_file!("/assets/js/mentions.js", "js/mentions.js", JS),
    web_file!("/assets/js/notify.js", "js/notify.js", JS),
    // (issue 28) passwords and devices.
    web_file!("/assets/js/accounts.js", "js/accounts.js", JS),
    // (issue 27)
    web_file!("/assets/js/search.js", "js/search.js", JS),
    // issue 25: rooms, the user picker, older history.
    web_file!("/assets/js/rooms.js", "js/rooms.js", JS),
    web_file!("/assets/js/people.js", "js/people.js", JS),
    web_file!("/assets/js/history.js", "js/history.js", JS),
];

/// The methods the files answer.
pub const ALLOW: &str = "GET, HEAD";

/// Scripts, styles, images and API calls from this origin only; no inline
/// script or style, no plugins, no `<base>`, no form posts, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every file is sent with, besides its type and `ETag`.
const HEADERS: [(&str, &str); 6] = [
    ("Vary", "Accept-Encoding"),
    ("Cache-Control", "no-cache"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
];

impl Asset {
    /// The file's strong entity tag: the first 16 bytes of its SHA-256, in
    /// hex, quoted. Computed once, on first use.
    pub fn etag(&self) -> &str {
        self.etag.get_or_init(|| {
            let digest = Sha256::digest(self.bytes);
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
    }

    /// The file gzip-coded and its tag (the plain tag with `-gzip` inside
    /// the quotes), or `None` when gzip does not make it smaller.
    pub fn gzipped(&self) -> Option<(&'static [u8], &str)> {
        if self.gzip.len() >= self.bytes.len() {
            return None;
        }
        let etag = self.gzip_etag.get_or_init(|| {
            let plain = self.etag().trim_matches('"');
            format!("\"{plain}-gzip\"")
        });
        Some((self.gzip, etag))
    }
}

/// The file at a request's path (its query ignored), or the refusal of a
/// method other than GET and HEAD (405 with `Allow`); `None` when the path is
/// not a file's, for the API's routes to decide.
pub fn route(request: &Request) -> Option<Result<&'static Asset, Response>> {
    let asset = ASSETS.iter().find(|asset| asset.path == request.path())?;
    if request.method == "GET" || request.method == "HEAD" {
        return Some(Ok(asset));
    }
    let refusal = error_response(
        405,
        ErrorCode::MethodNotAllowed,
        "this page accepts only GET and HEAD",
        None,
    );
    Some(Err(refusal.with_header("Allow", ALLOW)))
}

/// The answer to a request for a file: 200 with its bytes (the HTTP machine
/// leaves the body out for HEAD), 304 when `If-None-Match` names its tag, or
/// 405; `None` when the path is not a file's.
pub fn answer(request: &Request) -> Option<Response> {
    Some(match route(request)? {
        Ok(asset) => respond(asset, request),
        Err(refusal) => refusal,
    })
}

fn respond(asset: &Asset, request: &Request) -> Response {
    let gzipped = accepts_gzip(request.header_values("accept-encoding"))
        .then(|| asset.gzipped())
        .flatten();
    let (bytes, etag) = gzipped.unwrap_or((asset.bytes, asset.etag()));
    let unchanged = request
        .header_values("if-none-match")
        .any(|value| names_tag(value, etag));
    let mut response = if unchanged {
        Response::json(304, Vec::new())
    } else {
        Response::json(200, bytes.to_vec())
    };
    response = response
        .with_header("Content-Type", asset.content_type)
        .with_header("ETag", etag);
    if gzipped.is_some() {
        response = response.with_header("Content-Encoding", "gzip");
    }
    for (name, value) in HEADERS {
        response = response.with_header(name, value);
    }
    response
}

/// Whether one `If-None-Match` field value names `etag` (RFC 9110 §13.1.2:
/// `*`, or a list compared weakly, so `W/"x"` names `"x"`). Splitting at
/// commas is exact here: the server's own tags hold none, so a client's tag
/// that does can never be taken for one of them.
fn names_tag(value: &[u8], etag: &str) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
#[path = "assets_tests.rs"]
mod tests;
