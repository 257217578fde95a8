//! [`PostgresUrl`]: a `postgres://` `--db`, parsed, shown without its password.

use std::fmt;
use std::str::FromStr;

/// A `postgres://USER[:PASS]@HOST[:PORT]/DBNAME[?sslmode=...]` URL (or
/// `postgresql://`). Its `Display` and `Debug` hide the password: it goes
/// into logs and error messages.
#[derive(Clone)]
pub struct PostgresUrl {
    url: String,
    config: postgres::Config,
}

impl PostgresUrl {
    /// Whether `db` (a `--db` value) names a PostgreSQL database rather than
    /// a SQLite file.
    pub fn is_postgres(db: &str) -> bool {
        db.starts_with("postgres://") || db.starts_with("postgresql://")
    }

    /// The client's settings, as the URL gives them.
    pub(crate) fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// The URL with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }
}

/// `url` with the password of its user info, if any, replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Why a `postgres://` URL was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid PostgreSQL URL {url}: {reason}")]
pub struct InvalidUrl {
    url: String,
    reason: String,
}

impl FromStr for PostgresUrl {
    type Err = InvalidUrl;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| InvalidUrl {
            url: redact(url),
            reason,
        };
        if !PostgresUrl::is_postgres(url) {
            return Err(invalid("it must start with postgres://".into()));
        }
        let config = postgres::Config::from_str(url).map_err(|e| invalid(e.to_string()))?;
        if config.get_dbname().is_none() {
            return Err(invalid("it names no database (…/DBNAME)".into()));
        }
        Ok(PostgresUrl {
            url: url.to_owned(),
            config,
        })
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        let url: PostgresUrl = "postgres://agora:s3cret@db.example:5433/chat?sslmode=require"
            .parse()
            .unwrap();
        for shown in [url.to_string(), format!("{url:?}"), url.redacted()] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("agora:***@db.example:5433/chat"), "{shown}");
        }
        let refused = "postgres://agora:s3cret@/?host=%zz"
            .parse::<PostgresUrl>()
            .unwrap_err();
        assert!(!refused.to_string().contains("s3cret"), "{refused}");
    }

    #[test]
    fn urls_without_password_or_database() {
        let url: PostgresUrl = "postgresql://postgres@127.0.0.1/agora".parse().unwrap();
        assert_eq!(url.to_string(), "postgresql://postgres@127.0.0.1/agora");
        assert!("postgres://postgres@127.0.0.1"
            .parse::<PostgresUrl>()
            .is_err());
        assert!("agora.db".parse::<PostgresUrl>().is_err());
        assert!(PostgresUrl::is_postgres("postgres://x/y"));
        assert!(!PostgresUrl::is_postgres("./postgres://x"));
    }
}
