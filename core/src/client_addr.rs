//! Who is asking: the client address a request's limits are counted by.
//!
//! It is the TCP peer's address, unless that peer is one of the operator's
//! trusted proxies (`--trusted-proxy`): then it is the last address of
//! `X-Forwarded-For` that is not itself a trusted proxy, walking from the
//! right (each proxy appends the address it got the request from, so only
//! the entries our own proxies appended can be believed; everything left of
//! the first untrusted one was written by the client and may be forged).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address block, `10.0.0.0/8`, `::1/128`; a bare address is its own
/// block (`/32` or `/128`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` lies in the block (an IPv4-mapped IPv6 address counts
    /// as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                mask(u128::from(u32::from(ip)), self.prefix, 32) == u128::from(u32::from(net))
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                mask(u128::from(ip), self.prefix, 128) == u128::from(net)
            }
            _ => false,
        }
    }
}

/// `value` (of `bits` bits) with only its first `prefix` bits kept.
fn mask(value: u128, prefix: u8, bits: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let drop = u32::from(bits - prefix.min(bits));
    (value >> drop) << drop
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address or CIDR block"))?;
        let addr = addr.to_canonical();
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(p) if p <= bits => p,
                _ => return Err(format!("{s:?}: the prefix length must be 0 to {bits}")),
            },
        };
        let network = match addr {
            IpAddr::V4(v4) => {
                IpAddr::V4((mask(u128::from(u32::from(v4)), prefix, 32) as u32).into())
            }
            IpAddr::V6(v6) => IpAddr::V6(mask(u128::from(v6), prefix, 128).into()),
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The client address of a request that came from `peer` with these
/// `X-Forwarded-For` field values (in the order sent; several fields are
/// one list). Untrusted peer: the peer. Trusted peer: walking the list from
/// the right, the first entry that is not trusted; an entry that is not an
/// address stops the walk at the hop that wrote it (the last trusted
/// address seen), and a list that is all trusted gives its leftmost entry.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a [u8]>,
    trusted: &[Cidr],
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|cidr| cidr.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let fields: Vec<&[u8]> = forwarded_for.collect();
    let entries = fields
        .iter()
        .rev()
        .flat_map(|field| field.rsplit(|&b| b == b','));
    let mut nearest = peer;
    for entry in entries {
        let Some(ip) = parse_entry(entry) else {
            return nearest;
        };
        if !is_trusted(ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// One `X-Forwarded-For` entry: an address, optionally with a port
/// (`1.2.3.4:80`, `[::1]:80`), with blanks around it.
fn parse_entry(entry: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(entry).ok()?.trim();
    let ip = text
        .parse::<IpAddr>()
        .or_else(|_| text.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .ok()?;
    Some(ip.to_canonical())
}

/// What the per-address limits count by: the address itself for IPv4, its
/// /64 for IPv6 (one host usually holds a whole /64, so counting single
/// IPv6 addresses would limit nobody).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(mask(u128::from(v6), 64, 128).into()),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn resolve(peer: &str, xff: &[&str], trusted: &[&str]) -> IpAddr {
        client_address(ip(peer), xff.iter().map(|s| s.as_bytes()), &cidrs(trusted))
    }

    #[test]
    fn blocks_parse_and_match() {
        let block: Cidr = "10.1.2.3/8".parse().unwrap();
        assert_eq!(block.to_string(), "10.0.0.0/8");
        assert!(block.contains(ip("10.200.0.1")));
        assert!(block.contains(ip("::ffff:10.0.0.9")));
        assert!(!block.contains(ip("11.0.0.1")));
        assert!(!block.contains(ip("::1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "fd00::/16".parse().unwrap();
        assert!(v6.contains(ip("fd00:1::5")) && !v6.contains(ip("fe80::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host/8",
            "1.2.3.4/x",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(resolve("1.2.3.4", &["9.9.9.9"], &[]), ip("1.2.3.4"));
        assert_eq!(
            resolve("1.2.3.4", &["9.9.9.9"], &["10.0.0.0/8"]),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_last_untrusted_hop() {
        let trusted = ["10.0.0.0/8", "::1/128"];
        let cases: [(&str, &[&str], &str); 5] = [
            // The client forged 6.6.6.6; our proxies appended 5.5.5.5 and 10.0.0.2.
            ("10.0.0.1", &["6.6.6.6, 5.5.5.5, 10.0.0.2"], "5.5.5.5"),
            // Several fields are one list, in order.
            ("10.0.0.1", &["6.6.6.6", "5.5.5.5 , 10.0.0.2"], "5.5.5.5"),
            ("::1", &["2001:db8::7"], "2001:db8::7"),
            ("10.0.0.1", &["[2001:db8::7]:443", "5.5.5.5:80"], "5.5.5.5"),
            // No header: the proxy itself.
            ("10.0.0.1", &[], "10.0.0.1"),
        ];
        for (peer, forwarded, client) in cases {
            assert_eq!(
                resolve(peer, forwarded, &trusted),
                ip(client),
                "{peer} forwarding {forwarded:?}"
            );
        }
    }

    #[test]
    fn a_malformed_entry_stops_at_the_hop_that_wrote_it() {
        let trusted = ["10.0.0.0/8"];
        // The one field the trusted proxy 10.0.0.1 passed on, then the client.
        for (forwarded, client) in [
            ("5.5.5.5, garbage, 10.0.0.3", "10.0.0.3"),
            ("nonsense", "10.0.0.1"),
            ("5.5.5.5,", "10.0.0.1"),
            ("", "10.0.0.1"),
        ] {
            let got = resolve("10.0.0.1", &[forwarded], &trusted);
            assert_eq!(got, ip(client), "{forwarded:?}");
        }
        let invalid_utf8: &[u8] = b"\xff\xfe";
        let got = client_address(ip("10.0.0.1"), [invalid_utf8].into_iter(), &cidrs(&trusted));
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn an_all_trusted_chain_gives_its_leftmost_entry() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            resolve("10.0.0.1", &["10.0.0.7, 10.0.0.3"], &trusted),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
        assert_eq!(limit_key(ip("1.2.3.4")), ip("1.2.3.4"));
        assert_eq!(resolve("::ffff:1.2.3.4", &[], &[]), ip("1.2.3.4"));
    }
}
