//! At most `max` of something held at once per key (per client address,
//! per user); a place is given back when its slot drops, also while
//! unwinding from a panic.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub struct KeyedLimit<K: Hash + Eq + Copy> {
    max: usize,
    /// Places held per key; a key at zero is removed, so the map holds only
    /// the keys in use.
    held: Mutex<HashMap<K, usize>>,
}

/// One place under a key.
pub struct KeyedSlot<K: Hash + Eq + Copy> {
    limit: Arc<KeyedLimit<K>>,
    key: K,
}

impl<K: Hash + Eq + Copy> KeyedLimit<K> {
    pub fn new(max: usize) -> Arc<KeyedLimit<K>> {
        Arc::new(KeyedLimit {
            max,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A place under `key`, or `None` when `max` are held.
    pub fn try_acquire(self: &Arc<Self>, key: K) -> Option<KeyedSlot<K>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(key).or_insert(0);
        if *count >= self.max {
            if *count == 0 {
                held.remove(&key);
            }
            return None;
        }
        *count += 1;
        Some(KeyedSlot {
            limit: self.clone(),
            key,
        })
    }

    /// Places held under `key`.
    pub fn held(&self, key: K) -> usize {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.get(&key).copied().unwrap_or(0)
    }

    /// Keys with a place held.
    pub fn keys(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl<K: Hash + Eq + Copy> Drop for KeyedSlot<K> {
    fn drop(&mut self) {
        let mut held = self.limit.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_bound_and_dropped_keys_go() {
        let limit = KeyedLimit::new(2);
        let a1 = limit.try_acquire(1).unwrap();
        let _a2 = limit.try_acquire(1).unwrap();
        assert!(limit.try_acquire(1).is_none());
        let b = limit.try_acquire(2).unwrap();
        drop(a1);
        let _a3 = limit.try_acquire(1).unwrap();
        assert_eq!(limit.held(1), 2);
        drop(b);
        assert_eq!(limit.keys(), 1);
        let zero = KeyedLimit::new(0);
        assert!(zero.try_acquire(1).is_none());
        assert_eq!(zero.keys(), 0);
    }
}
