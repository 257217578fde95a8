//! The request target's form and the `Host` value (RFC 9112 §3.2, RFC 3986
//! §3.2.2), checked by grammar rather than case by case.

use std::borrow::Cow;

/// The target as the app sees it: origin-form (`/path?query`), absolute-form
/// reduced to its path and query (§3.2.2: a server must accept it), or `*`
/// for OPTIONS. Anything else is not a target this server can serve.
pub(crate) fn normalize<'t>(method: &str, target: &'t str) -> Result<Cow<'t, str>, TargetError> {
    if target.contains('#') {
        return Err(TargetError::Invalid);
    }
    if target.starts_with('/') {
        return Ok(Cow::Borrowed(target));
    }
    if target == "*" {
        return match method {
            "OPTIONS" => Ok(Cow::Borrowed(target)),
            _ => Err(TargetError::Invalid),
        };
    }
    if method == "CONNECT" {
        return Err(TargetError::Unsupported);
    }
    let scheme_end = target.find("://").ok_or(TargetError::Invalid)?;
    let scheme = &target[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(TargetError::Invalid);
    }
    let rest = &target[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() || !valid_host(authority.as_bytes()) {
        return Err(TargetError::Invalid);
    }
    match &rest[authority_end..] {
        // An empty path is "/" (RFC 9112 §3.2.1).
        path if path.starts_with('/') => Ok(Cow::Borrowed(path)),
        path => Ok(Cow::Owned(format!("/{path}"))),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TargetError {
    /// Not a request target of any form this method allows: 400.
    Invalid,
    /// Authority-form, for CONNECT, which is not implemented: 501.
    Unsupported,
}

/// `uri-host [ ":" port ]`: a reg-name (unreserved, sub-delims and
/// pct-encoded bytes), an IPv4 address (a reg-name too), or an IPv6 literal
/// in brackets; the port is digits. No user info, no spaces, no lists.
pub(crate) fn valid_host(value: &[u8]) -> bool {
    let (host, port) = match value.first() {
        Some(b'[') => match value.iter().position(|&b| b == b']') {
            Some(close) => {
                let literal = &value[1..close];
                let ok = !literal.is_empty()
                    && literal
                        .iter()
                        .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
                if !ok {
                    return false;
                }
                (&value[..0], &value[close + 1..])
            }
            None => return false,
        },
        _ => match value.iter().position(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon..]),
            None => (value, &value[value.len()..]),
        },
    };
    let port_ok = match port {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    port_ok && valid_reg_name(host)
}

fn valid_reg_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        let b = name[i];
        if b == b'%' {
            let hex = name.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let sub_delim = b"!$&'()*+,;=".contains(&b);
        if !unreserved && !sub_delim {
            return false;
        }
        i += 1;
    }
    true
}
