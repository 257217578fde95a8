//! Whether a request asks for `text/event-stream`, by its `Accept` fields
//! (RFC 9110 §12.5.1): media ranges with quality values, not a substring.

use crate::http::Request;

/// Whether `request` asks for an event stream rather than JSON: its `Accept`
/// fields name `text/event-stream` itself (a wildcard such as `*/*` or
/// `text/*` does not ask for a stream) with a quality above 0, and no range
/// that covers `application/json` is preferred to it (the most specific such
/// range gives JSON's quality). `text/event-stream;q=0` refuses a stream.
pub(super) fn wants_event_stream(request: &Request) -> bool {
    let mut stream: Option<u16> = None;
    // JSON's quality and how specific its range was: 2 exact, 1 `application/*`, 0 `*/*`.
    let mut json: Option<(u8, u16)> = None;
    let ranges = request
        .header_values("accept")
        .flat_map(|value| value.split(|&b| b == b','));
    for range in ranges {
        let Some((media, q)) = media_range(range) else {
            continue;
        };
        let specific = if media.eq_ignore_ascii_case(b"text/event-stream") {
            stream = Some(stream.map_or(q, |seen| seen.max(q)));
            continue;
        } else if media.eq_ignore_ascii_case(b"application/json") {
            2
        } else if media.eq_ignore_ascii_case(b"application/*") {
            1
        } else if media == b"*/*" {
            0
        } else {
            continue;
        };
        if json.is_none_or(|(seen, _)| specific > seen) {
            json = Some((specific, q));
        }
    }
    match stream {
        Some(q) if q > 0 => json.is_none_or(|(_, json_q)| q >= json_q),
        _ => false,
    }
}

/// A media range's `type/subtype` and its quality in thousandths (1000 when
/// it has no `q`). `None` for an empty range; a malformed quality counts as
/// 0 (the range is not acceptable).
fn media_range(range: &[u8]) -> Option<(&[u8], u16)> {
    let mut parts = range.split(|&b| b == b';');
    let media = parts.next()?.trim_ascii();
    if media.is_empty() {
        return None;
    }
    let mut q = 1000;
    for param in parts {
        let (name, value) = match param.iter().position(|&b| b == b'=') {
            Some(at) => (param[..at].trim_ascii(), param[at + 1..].trim_ascii()),
            None => (param.trim_ascii(), &b""[..]),
        };
        if name.eq_ignore_ascii_case(b"q") {
            q = quality(value).unwrap_or(0);
        }
    }
    Some((media, q))
}

/// A `qvalue` (RFC 9110 §12.4.2: `0` to `1` with at most three decimals) in
/// thousandths.
fn quality(text: &[u8]) -> Option<u16> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, &b""[..]),
    };
    if fraction.len() > 3 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: u16 = match whole {
        b"0" => 0,
        b"1" => 1000,
        _ => return None,
    };
    for (i, &d) in fraction.iter().enumerate() {
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    (thousandths <= 1000).then_some(thousandths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Headers, Version};

    fn with_accept(values: &[&str]) -> Request {
        let mut headers = Headers::default();
        for value in values {
            headers.push("Accept", value.as_bytes());
        }
        Request {
            method: "GET".into(),
            target: "/events".into(),
            version: Version::Http11,
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn a_stream_is_asked_for_by_name_with_a_quality_above_zero() {
        for yes in [
            &["text/event-stream"][..],
            &["TEXT/Event-Stream"],
            &["application/json, text/event-stream"],
            &["text/event-stream;q=0.5"],
            &["text/event-stream ; charset=utf-8"],
            &["text/event-stream;q=0.5, */*;q=0.1"],
            &["text/html", "text/event-stream"],
            &["text/event-stream;q=0.001"],
        ] {
            assert!(wants_event_stream(&with_accept(yes)), "{yes:?}");
        }
        for no in [
            &[][..],
            &["*/*"],
            &["text/*"],
            &["application/json"],
            &["text/event-stream;q=0"],
            &["text/event-stream; Q=0.000"],
            &["text/event-stream;q=0, */*"],
            &["text/event-stream;q=0.5, application/json"],
            &["text/event-stream;q=0.5, application/*;q=0.9"],
            &["text/event-stream;q=2"],
            &["text/event-stream;q=abc"],
            &["text/event-stream;q=0.5000"],
            &["text/event-stream;q=0", "text/html"],
        ] {
            assert!(!wants_event_stream(&with_accept(no)), "{no:?}");
        }
    }

    #[test]
    fn the_most_specific_json_range_gives_its_quality() {
        // `*/*` at 1 is less specific than `application/json;q=0.1`.
        let request = with_accept(&["*/*, application/json;q=0.1, text/event-stream;q=0.5"]);
        assert!(wants_event_stream(&request));
    }
}
