//! The query string of a request target: `name=value` pairs separated by
//! `&`, percent-decoded (`+` is a space, as in HTML forms). API.md: a
//! parameter the route does not take, or one given twice, is 400; so is a
//! `%` not followed by two hex digits, or a value that is not UTF-8.

use super::error::bad_field;
use crate::error_code::ErrorCode;
use crate::http::Response;
use std::borrow::Cow;

/// The decoded parameters of one request, each checked against the names
/// its route takes.
#[derive(Debug)]
pub(super) struct Query<'a> {
    params: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Query<'a> {
    /// Parses the query of `target` (what follows the first `?`), accepting
    /// only the names in `known`. Empty pieces (`a=1&&b=2`, a trailing `&`)
    /// are skipped; a piece without `=` has an empty value.
    pub(super) fn parse(target: &'a str, known: &[&str]) -> Result<Query<'a>, Response> {
        let query = target.split_once('?').map_or("", |(_, query)| query);
        let mut params: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
        for piece in query.split('&').filter(|piece| !piece.is_empty()) {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = decode(name).ok_or_else(|| malformed(name))?;
            let value = decode(value).ok_or_else(|| malformed(&name))?;
            if !known.contains(&name.as_ref()) {
                let message = match known {
                    [] => "this endpoint takes no query parameters".to_owned(),
                    _ => format!(
                        "unknown query parameter; this endpoint takes {}",
                        known.join(", ")
                    ),
                };
                return Err(bad_field(ErrorCode::InvalidQuery, &name, &message));
            }
            if params.iter().any(|(seen, _)| *seen == name) {
                let message = "a query parameter may be given only once";
                return Err(bad_field(ErrorCode::InvalidQuery, &name, message));
            }
            params.push((name, value));
        }
        Ok(Query { params })
    }

    /// The decoded value of `name`, if given.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }
}

fn malformed(name: &str) -> Response {
    bad_field(
        ErrorCode::InvalidQuery,
        name,
        "the query string is not valid percent-encoded UTF-8",
    )
}

/// Percent-decodes `text` (and `+` to a space); `None` for a bad escape or a
/// result that is not UTF-8.
fn decode(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains(['%', '+']) {
        return Some(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_and_field(response: Response) -> (String, String) {
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        (
            body["code"].as_str().unwrap().to_owned(),
            body["field"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn decodes_known_parameters() {
        let q = Query::parse("/x?a=1&b=%41%2b+c&&c", &["a", "b", "c"]).unwrap();
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), Some("A+ c"));
        assert_eq!(q.get("c"), Some(""));
        assert_eq!(q.get("d"), None);
        let none = Query::parse("/x", &["a"]).unwrap();
        assert_eq!(none.get("a"), None);
        assert!(Query::parse("/x?", &[]).is_ok());
        // A name may be percent-encoded too.
        let q = Query::parse("/x?%61=2", &["a"]).unwrap();
        assert_eq!(q.get("a"), Some("2"));
    }

    #[test]
    fn refuses_unknown_repeated_and_malformed() {
        let unknown = Query::parse("/x?a=1&z=2", &["a"]).unwrap_err();
        assert_eq!(unknown.status, 400);
        assert_eq!(
            code_and_field(unknown),
            ("invalid_query".into(), "z".into())
        );
        let twice = Query::parse("/x?a=1&a=1", &["a"]).unwrap_err();
        assert_eq!(code_and_field(twice), ("invalid_query".into(), "a".into()));
        // The same name spelled two ways is still the same name.
        assert!(Query::parse("/x?a=1&%61=1", &["a"]).is_err());
        for bad in ["/x?a=%4", "/x?a=%zz", "/x?a=%ff", "/x?a=%"] {
            let refused = Query::parse(bad, &["a"]).unwrap_err();
            assert_eq!(code_and_field(refused).0, "invalid_query", "{bad}");
        }
    }
}
