//! `--server`: `http://host[:port][/]`. Plain HTTP only: the server speaks no TLS.

use std::fmt;

/// Where the server listens, as given by `--server`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUrl {
    /// Host name or address, lowercase, without IPv6 brackets.
    pub host: String,
    pub port: u16,
}

impl ServerUrl {
    pub fn parse(text: &str) -> Result<ServerUrl, String> {
        let text = text.trim();
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(format!(
                "server URL {text:?} has no scheme; write it as http://host:port"
            ));
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err(format!(
                "server URL {text:?} uses https, which agora does not speak: the server \
                 serves plain http (put a TLS proxy in front of it and point agora at the \
                 proxy's http side, or use http://)"
            ));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(format!(
                "server URL {text:?}: unsupported scheme {scheme:?}; use http://host:port"
            ));
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "server URL {text:?}: give only http://host:port (no path, query or user)"
            ));
        }
        let (host, port) = split_host_port(authority)
            .ok_or_else(|| format!("server URL {text:?}: expected http://host:port"))?;
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(format!("server URL {text:?}: missing or invalid host"));
        }
        Ok(ServerUrl {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// `host:port` as the `Host` header wants it (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The canonical form, used as the key of saved tokens: `http://host:port`.
impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}", self.authority())
    }
}

fn split_host_port(authority: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return None, // an IPv6 address must be in brackets
            None => (authority, None),
        }
    };
    let port = match port {
        None => 80,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_and_port() {
        // What is written, then the host, the port and the URL as it is kept.
        for (text, host, port, kept) in [
            (
                "http://127.0.0.1:8000",
                "127.0.0.1",
                8000,
                "http://127.0.0.1:8000",
            ),
            (
                "HTTP://Example.ORG:81/",
                "example.org",
                81,
                "http://example.org:81",
            ),
            ("http://localhost", "localhost", 80, "http://localhost:80"),
            ("http://[::1]:9000", "::1", 9000, "http://[::1]:9000"),
        ] {
            let url = ServerUrl::parse(text).unwrap();
            assert_eq!(url.to_string(), kept, "{text}");
            assert_eq!((url.host.as_str(), url.port), (host, port), "{text}");
        }
    }

    #[test]
    fn refuses_https_clearly() {
        let err = ServerUrl::parse("https://example.org").unwrap_err();
        assert!(err.contains("https"), "{err}");
        assert!(err.contains("plain http"), "{err}");
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "127.0.0.1:8000",
            "ftp://x:1",
            "http://",
            "http://host:",
            "http://host:99999",
            "http://host:8x",
            "http://host:80/chat",
            "http://u@host:80",
            "http://::1:80",
            "http://[::1",
        ] {
            assert!(ServerUrl::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
