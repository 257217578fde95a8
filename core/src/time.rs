//! Wall-clock instants as milliseconds since the Unix epoch, and their two text
//! forms: RFC 3339 for JSON bodies and IMF-fixdate for the HTTP `Date` header.

use std::fmt::Write;

/// Milliseconds since 1970-01-01T00:00:00Z. Stored in the database and carried
/// by every command; the core never reads the clock itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub i64);

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
        let (date, secs_of_day, millis) = self.split();
        let mut out = String::with_capacity(24);
        let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            date.0, date.1, date.2, h, m, s, millis
        );
        out
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
    fn seconds_until_rounds_up() {
        let t = UnixMillis(1_000);
        assert_eq!(t.seconds_until(UnixMillis(1_000)), 0);
        assert_eq!(t.seconds_until(UnixMillis(1_001)), 1);
        assert_eq!(t.seconds_until(UnixMillis(2_000)), 1);
        assert_eq!(t.seconds_until(UnixMillis(2_001)), 2);
        assert_eq!(t.seconds_until(UnixMillis(0)), 0);
    }
}
