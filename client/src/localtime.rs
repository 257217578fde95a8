//! Times for people: the server's RFC 3339 UTC instants shown in the local
//! time zone, without a time crate. Parsing is a few lines of arithmetic; the
//! zone rules (offsets, daylight saving) come from the C library's
//! `localtime_r`, which already knows the system's zone database and `TZ`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hm = [h1, h2, m1, m2];
            if !hm.iter().all(|d| d.is_ascii_digit()) {
                return None;
            }
            let value = |x: &u8, y: &u8| i64::from(x - b'0') * 10 + i64::from(y - b'0');
            let secs = value(h1, h2) * 3600 + value(m1, m2) * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of
/// Howard Hinnant's `civil_from_days`, which core uses for the other way).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Which clock face to show times on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// The system's local zone (`TZ`, `/etc/localtime`).
    Local,
    /// UTC: fixed output for tests (the binary always shows local time, and
    /// falls back to UTC only when the C library cannot convert).
    #[cfg_attr(not(test), allow(dead_code))]
    Utc,
}

impl Zone {
    /// `YYYY-MM-DD HH:MM:SS` of an instant, on this zone's clock.
    pub fn format(self, secs: i64) -> String {
        if self == Zone::Local {
            if let Some(text) = local(secs) {
                return text;
            }
        }
        let iso = agora_core::time::UnixMillis(secs.saturating_mul(1000)).to_rfc3339();
        format!("{} {}", &iso[..10], &iso[11..19])
    }

    /// A server timestamp on this zone's clock; text that is not RFC 3339 is
    /// shown as it came.
    pub fn format_rfc3339(self, text: &str) -> String {
        match parse_rfc3339(text) {
            Some(secs) => self.format(secs),
            None => text.to_owned(),
        }
    }
}

fn local(secs: i64) -> Option<String> {
    let time = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `tm` is plain data (integers and a pointer the C library sets),
    // so all-zero is a valid value; `localtime_r` is the re-entrant variant
    // and writes only into `tm`, which outlives the call. It returns null on
    // failure, which we check before reading `tm`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            return None;
        }
        tm
    };
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        i64::from(tm.tm_year) + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_servers_format_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-29T08:06:05.123Z"),
            Some(1_795_939_565)
        );
        assert_eq!(
            parse_rfc3339("2026-11-29T09:06:05+01:00"),
            Some(1_795_939_565)
        );
        assert_eq!(
            parse_rfc3339("2026-11-29T03:36:05.5-04:30"),
            Some(1_795_939_565)
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for bad in [
            "",
            "2026-11-29",
            "2026-11-29T08:06:05",
            "2026-13-29T08:06:05Z",
            "2026-11-29T24:06:05Z",
            "2026-11-29T08:06:05.Z",
            "2026-11-29T08:06:05+0100",
            "2026/11/29T08:06:05Z",
            "2026-11-29T08:06:05Zjunk",
            "2026-11-29T08:06:0٥Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_in_utc_and_keeps_unparsable_text() {
        assert_eq!(
            Zone::Utc.format_rfc3339("2026-11-29T08:06:05.123Z"),
            "2026-11-29 08:06:05"
        );
        assert_eq!(Zone::Utc.format_rfc3339("soon"), "soon");
    }

    #[test]
    fn local_time_is_whole_minutes_away_from_utc() {
        // Whatever the machine's zone, the local clock differs from UTC by a
        // whole number of minutes and less than a day, and keeps the seconds.
        let secs = 1_795_939_565;
        let local = Zone::Local.format(secs);
        assert_eq!(&local[17..], "05", "{local}");
        let back = parse_rfc3339(&format!("{}T{}Z", &local[..10], &local[11..])).unwrap();
        let offset = back - secs;
        assert!(offset.abs() < 86_400 && offset % 60 == 0, "{local}");
    }
}
