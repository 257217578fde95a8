//! `--max-connections-per-ip`: open connections counted per client address,
//! so that one client cannot take every connection the server has.
//!
//! Counted by the TCP peer (its `client_addr::limit_key`: an IPv6 peer by its
//! /64). A peer inside `--trusted-proxy` is not counted: every client behind
//! the operator's own proxy shares its address, and the proxy bounds its
//! connections itself.

use crate::keyed_limit::{KeyedLimit, KeyedSlot};
use agora_core::client_addr::{limit_key, Cidr};
use std::net::IpAddr;
use std::sync::Arc;

pub struct AddressLimit {
    trusted: Vec<Cidr>,
    open: Arc<KeyedLimit<IpAddr>>,
}

pub type AddressSlot = KeyedSlot<IpAddr>;

/// Over the limit for its address.
#[derive(Debug, PartialEq, Eq)]
pub struct AddressFull;

impl AddressLimit {
    pub fn new(max: usize, trusted: Vec<Cidr>) -> Arc<AddressLimit> {
        Arc::new(AddressLimit {
            trusted,
            open: KeyedLimit::new(max),
        })
    }

    /// A place for a connection from `peer`: `None` when it is not counted
    /// (a trusted proxy), `AddressFull` when `max` from its address are open.
    pub fn try_acquire(&self, peer: IpAddr) -> Result<Option<AddressSlot>, AddressFull> {
        if self.trusted.iter().any(|cidr| cidr.contains(peer)) {
            return Ok(None);
        }
        match self.open.try_acquire(limit_key(peer)) {
            Some(slot) => Ok(Some(slot)),
            None => Err(AddressFull),
        }
    }

    /// Connections open from `peer`'s address.
    pub fn open_from(&self, peer: IpAddr) -> usize {
        self.open.held(limit_key(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_shares_its_64_and_trusted_proxies_are_not_counted() {
        let limit = AddressLimit::new(1, vec!["10.0.0.0/8".parse().unwrap()]);
        let _v6 = limit.try_acquire(ip("2001:db8::1")).unwrap();
        assert_eq!(
            limit.try_acquire(ip("2001:db8::2")).err(),
            Some(AddressFull)
        );
        assert_eq!(limit.open_from(ip("2001:db8::3")), 1);
        for _ in 0..5 {
            assert!(limit.try_acquire(ip("10.1.1.1")).unwrap().is_none());
        }
        assert_eq!(limit.open_from(ip("10.1.1.1")), 0);
    }
}
