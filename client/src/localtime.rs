//! Times for people: the server's RFC 3339 instants (UTC) shown on the local
//! clock. jiff knows the system's zone (`TZ`, `/etc/localtime`) and its rules.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Which clock face to show times on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// The system's local zone (`TZ`, else `/etc/localtime`; UTC when
    /// neither can be read).
    Local,
    /// UTC: fixed output for tests (the binary always shows local time).
    #[cfg_attr(not(test), allow(dead_code))]
    Utc,
}

impl Zone {
    fn time_zone(self) -> TimeZone {
        match self {
            Zone::Local => TimeZone::system(),
            Zone::Utc => TimeZone::UTC,
        }
    }

    /// `YYYY-MM-DD HH:MM:SS` of an instant, on this zone's clock.
    pub fn format(self, at: Timestamp) -> String {
        at.to_zoned(self.time_zone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// A server timestamp on this zone's clock; text that is not an RFC 3339
    /// instant is shown as it came.
    pub fn format_rfc3339(self, text: &str) -> String {
        match text.parse::<Timestamp>() {
            Ok(at) => self.format(at),
            Err(_) => text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_servers_instants_on_the_clock() {
        for (text, shown) in [
            ("2026-11-29T08:06:05.123Z", "2026-11-29 08:06:05"),
            ("2026-11-29T09:06:05+01:00", "2026-11-29 08:06:05"),
            ("2026-11-29T03:36:05.5-04:30", "2026-11-29 08:06:05"),
            ("2000-02-29T00:00:00Z", "2000-02-29 00:00:00"),
            ("1969-12-31T23:59:59Z", "1969-12-31 23:59:59"),
        ] {
            assert_eq!(Zone::Utc.format_rfc3339(text), shown, "{text}");
        }
    }

    #[test]
    fn keeps_text_that_is_not_an_instant() {
        for text in [
            "soon",
            "",
            "2026-11-29",
            "2026-11-29T08:06:05",
            "2026-13-29T08:06:05Z",
        ] {
            assert_eq!(Zone::Utc.format_rfc3339(text), text);
        }
    }
}
