//! Counting open connections against `--max-connections` (and, through
//! `address_limit`, `--max-connections-per-ip`), and the connections being
//! refused beyond them.

use crate::address_limit::{AddressLimit, AddressSlot};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections over the limit that may be answered 503 and then linger (read
/// what the client still sends, so that its 503 is not lost to a reset) at
/// once. Each holds a descriptor for up to a second; beyond this many, a
/// refused connection is closed right after its 503, so that a flood of them
/// cannot take the descriptors the served connections and the store need.
pub const REFUSING_MAX: usize = 32;

pub struct ConnLimit {
    active: AtomicUsize,
    max: usize,
    refusing: AtomicUsize,
    /// The bound per client address, for the served sockets (not for the
    /// metrics listener's scrapers).
    per_address: Option<Arc<AddressLimit>>,
}

/// What a new connection gets.
pub enum Admission {
    /// Served; the slot is its place among the open connections.
    Serve(ConnSlot),
    /// Over the limit: answered 503 `overloaded` and closed, after lingering
    /// if it has a place among the connections being refused.
    Refuse(Option<ConnSlot>),
}

/// One connection's place (served or being refused); dropping it (also while
/// unwinding from a panic) gives the place back.
pub struct ConnSlot {
    limit: Arc<ConnLimit>,
    refusal: bool,
    /// The TCP peer's address (unspecified where it is not known).
    peer: IpAddr,
    _address: Option<AddressSlot>,
}

impl ConnSlot {
    /// The connection's TCP peer.
    pub fn peer(&self) -> IpAddr {
        self.peer
    }
}

impl ConnLimit {
    pub fn new(max: usize) -> Arc<ConnLimit> {
        Arc::new(ConnLimit {
            active: AtomicUsize::new(0),
            max,
            refusing: AtomicUsize::new(0),
            per_address: None,
        })
    }

    /// `max` connections in all, and at most `per_address`'s bound from one
    /// client address.
    pub fn with_per_address(max: usize, per_address: Arc<AddressLimit>) -> Arc<ConnLimit> {
        Arc::new(ConnLimit {
            active: AtomicUsize::new(0),
            max,
            refusing: AtomicUsize::new(0),
            per_address: Some(per_address),
        })
    }

    /// A place for a new connection, or `None` when `max` are open.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ConnSlot> {
        self.slot(Ipv4Addr::UNSPECIFIED.into(), None)
    }

    fn slot(self: &Arc<Self>, peer: IpAddr, address: Option<AddressSlot>) -> Option<ConnSlot> {
        take(&self.active, self.max).then(|| ConnSlot {
            limit: self.clone(),
            refusal: false,
            peer,
            _address: address,
        })
    }

    /// Serve a new connection from `peer`, or refuse it (too many open in
    /// all, or from its address).
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Admission {
        let address = match &self.per_address {
            Some(per_address) => per_address.try_acquire(peer).map_err(drop),
            None => Ok(None),
        };
        if let Ok(address) = address {
            if let Some(slot) = self.slot(peer, address) {
                return Admission::Serve(slot);
            }
        }
        let refusal = take(&self.refusing, REFUSING_MAX).then(|| ConnSlot {
            limit: self.clone(),
            refusal: true,
            peer,
            _address: None,
        });
        Admission::Refuse(refusal)
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Blocks the calling thread until no connection is open or `grace` passed;
    /// returns how many are still open.
    pub fn wait_until_idle(&self, grace: Duration) -> usize {
        let deadline = Instant::now() + grace;
        while self.active() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.active()
    }
}

/// Adds one to `counter` unless it is at `max`.
fn take(counter: &AtomicUsize, max: usize) -> bool {
    let mut current = counter.load(Ordering::Relaxed);
    loop {
        if current >= max {
            return false;
        }
        match counter.compare_exchange_weak(
            current,
            current + 1,
            Ordering::AcqRel,
            Ordering::Relaxed,
        ) {
            Ok(_) => return true,
            Err(seen) => current = seen,
        }
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let counter = if self.refusal {
            &self.limit.refusing
        } else {
            &self.limit.active
        };
        counter.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_and_returned() {
        let limit = ConnLimit::new(2);
        let a = limit.try_acquire().unwrap();
        let b = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert_eq!(limit.active(), 2);
        drop(a);
        let c = limit.try_acquire().unwrap();
        drop((b, c));
        assert_eq!(limit.wait_until_idle(Duration::from_millis(1)), 0);
    }

    #[test]
    fn refusals_beyond_their_bound_get_no_place() {
        let limit = ConnLimit::new(1);
        let peer = IpAddr::from([127, 0, 0, 1]);
        let served = limit.admit(peer);
        assert!(matches!(served, Admission::Serve(_)));
        let refused: Vec<Admission> = (0..REFUSING_MAX).map(|_| limit.admit(peer)).collect();
        assert!(refused
            .iter()
            .all(|a| matches!(a, Admission::Refuse(Some(_)))));
        assert!(matches!(limit.admit(peer), Admission::Refuse(None)));
        assert_eq!(limit.active(), 1, "refusals are not open connections");
        drop(refused);
        assert!(matches!(limit.admit(peer), Admission::Refuse(Some(_))));
        drop(served);
        assert!(matches!(limit.admit(peer), Admission::Serve(_)));
    }

    #[test]
    fn one_address_over_its_bound_is_refused_while_others_are_served() {
        let per_address = AddressLimit::new(1, Vec::new());
        let limit = ConnLimit::with_per_address(10, per_address.clone());
        let a = IpAddr::from([127, 0, 0, 1]);
        let b = IpAddr::from([127, 0, 0, 2]);
        let first = limit.admit(a);
        let Admission::Serve(slot) = &first else {
            panic!("the first connection is served");
        };
        assert_eq!(slot.peer(), a);
        assert!(matches!(limit.admit(a), Admission::Refuse(_)));
        assert!(matches!(limit.admit(b), Admission::Serve(_)));
        assert_eq!(limit.active(), 1, "the refused and the dropped are gone");
        drop(first);
        assert_eq!(per_address.open_from(a), 0);
        assert!(matches!(limit.admit(a), Admission::Serve(_)));
    }
}
