//! The integer a JSON number literal denotes, exactly (no float on the way:
//! an `i64` has more digits than an `f64` keeps).

/// For a JSON number literal with no fractional part, however written
/// (`18`, `-18.0`, `1.8e1`, `180e-1`): `Some(Some(n))` when it fits an
/// `i64`, `Some(None)` when it does not. `None` for a fractional number and
/// for anything that is not a number literal.
pub(super) fn integral(text: &str) -> Option<Option<i64>> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], parse_exponent(&rest[at + 1..])?),
        None => (rest, Exponent::Finite(0)),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() || !is_digits(whole) || (mantissa.contains('.') && fraction.is_empty()) {
        return None;
    }
    if !is_digits(fraction) {
        return None;
    }
    // All the significant digits, and the power of ten they are scaled by.
    let digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    let first = digits.iter().position(|&d| d != b'0');
    let Some(first) = first else {
        return Some(Some(0));
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    let trailing_zeros = (digits.len() - 1 - last) as i64;
    let significant = &digits[first..=last];
    let scale = match exponent {
        Exponent::Finite(e) => e - fraction.len() as i64 + trailing_zeros,
        // A huge positive power of a nonzero value: an integer, too large.
        Exponent::Huge => return Some(None),
        Exponent::Tiny => return None,
    };
    if scale < 0 {
        return None;
    }
    // i64::MAX has 19 digits.
    if significant.len() as i64 + scale > 19 {
        return Some(None);
    }
    let mut value: i128 = 0;
    for &d in significant {
        value = value * 10 + i128::from(d - b'0');
    }
    for _ in 0..scale {
        value *= 10;
    }
    if negative {
        value = -value;
    }
    Some(i64::try_from(value).ok())
}

enum Exponent {
    Finite(i64),
    /// Beyond any i64 digit count, positive or negative.
    Huge,
    Tiny,
}

fn parse_exponent(text: &str) -> Option<Exponent> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !is_digits(digits) || digits.is_empty() {
        return None;
    }
    Some(match digits.parse::<i64>() {
        // Bounded so that adding a digit count cannot overflow.
        Ok(e) if e <= 1 << 40 => Exponent::Finite(if negative { -e } else { e }),
        _ if negative => Exponent::Tiny,
        _ => Exponent::Huge,
    })
}

fn is_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::integral;

    #[test]
    fn integral_values_in_any_notation() {
        for (text, value) in [
            ("0", 0),
            ("-0", 0),
            ("0.000", 0),
            ("0e-99999999999999999999", 0),
            ("18", 18),
            ("-18.0", -18),
            ("1.8e1", 18),
            ("1.8E+1", 18),
            ("180e-1", 18),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("9.223372036854775807e18", i64::MAX),
        ] {
            assert_eq!(integral(text), Some(Some(value)), "{text}");
        }
    }

    #[test]
    fn too_large_fractional_and_not_numbers() {
        for text in [
            "9223372036854775808",
            "1e19",
            "1e99999999999999999999",
            "-1e400",
        ] {
            assert_eq!(integral(text), Some(None), "{text}");
        }
        for text in [
            "1.5",
            "1e-1",
            "15e-1",
            "1e-99999999999999999999",
            "\"1\"",
            "true",
            "[1]",
            "",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
        ] {
            assert_eq!(integral(text), None, "{text}");
        }
    }
}
