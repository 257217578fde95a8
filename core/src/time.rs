//! Wall-clock instants as milliseconds since the Unix epoch, and their two text
//! forms: RFC 3339 for JSON bodies and IMF-fixdate for the HTTP `Date` header.

use std::fmt;

/// Milliseconds since 1970-01-01T00:00:00Z. Stored in the database and carried
/// by every command; the core never reads the clock itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub i64);

/// See [`UnixMillis::rfc3339`].
#[derive(Clone, Copy, Debug)]
pub struct Rfc3339(UnixMillis);

impl fmt::Display for Rfc3339 {
    /// One `write_str` of the whole text: written piece by piece through
    /// `write!`, a JSON serializer escapes every piece on its own, which made
    /// encoding a `connect` response with 20 messages 60 % slower.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ((year, month, day), secs_of_day, millis) = self.0.split();
        let Ok(year @ 0..=9999) = u32::try_from(year) else {
            return write!(
                f,
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
                secs_of_day / 3600,
                secs_of_day / 60 % 60,
                secs_of_day % 60
            );
        };
        let secs_of_day = secs_of_day as u32;
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let fields = [
            (0, 4, year),
            (5, 2, month),
            (8, 2, day),
            (11, 2, secs_of_day / 3600),
            (14, 2, secs_of_day / 60 % 60),
            (17, 2, secs_of_day % 60),
            (20, 3, millis as u32),
        ];
        for (at, width, mut value) in fields {
            for digit in text[at..at + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        // Only ASCII digits went into an ASCII template.
        f.write_str(std::str::from_utf8(&text).expect("ASCII"))
    }
}

impl UnixMillis {
    pub fn plus_ms(self, ms: u64) -> UnixMillis {
        UnixMillis(self.0.saturating_add(ms.min(i64::MAX as u64) as i64))
    }

    /// Whole seconds from `self` until `later`, rounded up, never negative: a
    /// client that waits this long is past `later`.
    pub fn seconds_until(self, later: UnixMillis) -> u64 {
        let ms = later.0.saturating_sub(self.0).max(0) as u64;
        ms.div_ceil(1000)
    }

    /// `2026-11-29T08:06:05.123Z`
    pub fn to_rfc3339(self) -> String {
        self.rfc3339().to_string()
    }

    /// The RFC 3339 form as a `Display`, to write it where it goes (a JSON
    /// serializer's `collect_str`) without a `String` per timestamp.
    pub fn rfc3339(self) -> Rfc3339 {
        Rfc3339(self)
    }

    /// `Sun, 29 Nov 2026 08:06:05 GMT` (RFC 9110 §5.6.7).
    pub fn to_http_date(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days_since_epoch = self.0.div_euclid(86_400_000);
        let (date, secs_of_day, _) = self.split();
        let weekday = DAYS[days_since_epoch.rem_euclid(7) as usize];
        let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
        format!(
            "{weekday}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            date.2,
            MONTHS[(date.1 - 1) as usize],
            date.0,
            h,
            m,
            s
        )
    }

    fn split(self) -> ((i64, u32, u32), i64, i64) {
        let days = self.0.div_euclid(86_400_000);
        let ms_of_day = self.0.rem_euclid(86_400_000);
        (civil_from_days(days), ms_of_day / 1000, ms_of_day % 1000)
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// well-known algorithm, written out here).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2026-11-29T08:06:05.123Z, a Sunday.
        let t = UnixMillis(1_795_939_565_123);
        assert_eq!(t.to_rfc3339(), "2026-11-29T08:06:05.123Z");
        assert_eq!(t.to_http_date(), "Sun, 29 Nov 2026 08:06:05 GMT");
        assert_eq!(UnixMillis(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            UnixMillis(0).to_http_date(),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        // A leap day.
        assert_eq!(
            UnixMillis(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn rfc3339_digits_match_plain_formatting() {
        let plain = |t: UnixMillis| {
            let ((y, mo, d), secs, ms) = t.split();
            let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
        };
        // From year 0 to past 9999, at a stride that moves every field.
        let mut t = -62_167_219_200_000i64;
        while t < 253_402_400_000_000 {
            assert_eq!(UnixMillis(t).to_rfc3339(), plain(UnixMillis(t)));
            t += 7_777_777_777_777 / 1_000 + 1;
        }
        // Outside years 0..=9999 the text is wider, still RFC 3339-like.
        assert_eq!(
            UnixMillis(-62_167_219_200_001).to_rfc3339(),
            "-001-12-31T23:59:59.999Z"
        );
        assert_eq!(
            UnixMillis(253_402_300_800_000).to_rfc3339(),
            "10000-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn seconds_until_rounds_up() {
        let t = UnixMillis(1_000);
        assert_eq!(t.seconds_until(UnixMillis(1_000)), 0);
        assert_eq!(t.seconds_until(UnixMillis(1_001)), 1);
        assert_eq!(t.seconds_until(UnixMillis(2_000)), 1);
        assert_eq!(t.seconds_until(UnixMillis(2_001)), 2);
        assert_eq!(t.seconds_until(UnixMillis(0)), 0);
    }
}
