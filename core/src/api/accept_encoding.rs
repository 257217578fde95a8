//! Whether a request accepts a gzip-coded body: its `Accept-Encoding`
//! fields read as RFC 9110 §12.5.3 says.
//!
//! The fields are one comma-separated list (however many fields carry it) of
//! codings, each with an optional weight `;q=` from 0 to 1. `gzip` (or its
//! old alias `x-gzip`, §8.4.1.3) is acceptable when it is listed with a
//! weight above 0, or, when it is not listed, when `*` is listed with one; a
//! weight of 0 says "not this". A request without the field gets no coding:
//! RFC 9110 would allow any, but a client that sends none (curl without
//! `--compressed`, a script) most often cannot decode one. An element whose
//! weight is not a valid qvalue is ignored rather than guessed at.

/// Whether `values` (the request's `Accept-Encoding` field values, in order)
/// accept gzip.
pub fn accepts_gzip<'a>(values: impl Iterator<Item = &'a [u8]>) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in values {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for element in value.split(',') {
            let Some((coding, accepted)) = parse_element(element) else {
                continue;
            };
            let slot =
                if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    &mut gzip
                } else if coding == "*" {
                    &mut any
                } else {
                    continue;
                };
            // The first mention decides; a repeat cannot change its mind.
            slot.get_or_insert(accepted);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// One list element, `coding *( OWS ";" OWS name=value )`: the coding and
/// whether its weight is above 0; `None` for an empty element or a bad weight.
fn parse_element(element: &str) -> Option<(&str, bool)> {
    let mut parts = element.split(';');
    let coding = parts.next()?.trim();
    if coding.is_empty() {
        return None;
    }
    let mut accepted = true;
    for parameter in parts {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            accepted = qvalue_above_zero(value.trim())?;
        }
    }
    Some((coding, accepted))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`: whether it
/// is above 0, or `None` when it is not a qvalue.
fn qvalue_above_zero(value: &str) -> Option<bool> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits_ok = fraction.len() <= 3 && fraction.bytes().all(|b| b.is_ascii_digit());
    match whole {
        "0" if digits_ok => Some(fraction.bytes().any(|b| b != b'0')),
        "1" if digits_ok && fraction.bytes().all(|b| b == b'0') => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    fn accepts(fields: &[&str]) -> bool {
        accepts_gzip(fields.iter().map(|f| f.as_bytes()))
    }

    #[test]
    fn gzip_listed_with_a_weight_above_zero_is_accepted() {
        for field in [
            "gzip",
            "GZIP",
            "x-gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, gzip;q=0.8, *;q=0.1",
            "gzip;q=1",
            "gzip;q=1.000",
            "gzip ; q=0.001",
            "gzip;Q=0.5",
            "identity;q=0, gzip",
            "*",
            "*;q=0.5",
            "deflate, *",
        ] {
            assert!(accepts(&[field]), "Accept-Encoding: {field}");
        }
    }

    #[test]
    fn zero_weights_absence_and_other_codings_are_not_gzip() {
        for field in [
            "",
            "identity",
            "deflate, br",
            "gzip;q=0",
            "gzip;q=0.0",
            "gzip;q=0.000",
            "gzip;q=0, *",
            "*;q=0",
            "*;q=0, deflate",
            "x-gzip;q=0",
            // Not a qvalue: the element is ignored, not read as a yes.
            "gzip;q=2",
            "gzip;q=0.0001",
            "gzip;q=abc",
            "gzip;q=-1",
            "gzip;q=1.5",
            "gzip;q",
            "gzipx",
            "gz",
        ] {
            assert!(!accepts(&[field]), "Accept-Encoding: {field}");
        }
        assert!(!accepts(&[]), "no field at all gets no coding");
    }

    #[test]
    fn several_fields_make_one_list_and_the_first_mention_decides() {
        assert!(accepts(&["deflate", "gzip"]));
        assert!(!accepts(&["gzip;q=0", "gzip"]));
        assert!(accepts(&["br", "*;q=0.2"]));
        // gzip named explicitly wins over the wildcard, either way round.
        assert!(!accepts(&["*", "gzip;q=0"]));
        assert!(accepts(&["*;q=0", "gzip;q=0.3"]));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_skipped() {
        assert!(!accepts_gzip([&b"\xffgzip"[..]].into_iter()));
        assert!(accepts_gzip([&b"\xff"[..], b"gzip"].into_iter()));
    }
}
