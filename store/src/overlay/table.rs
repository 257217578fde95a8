//! [`Table`]: a map with an undo log, so that the overlay can take back
//! everything one failed command did to it (its loads included) without a
//! SQL savepoint.

use std::collections::HashMap;
use std::hash::Hash;

/// Whether a cached row differs from the database, and how the flush
/// writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// As loaded (or as last flushed): nothing to write.
    Clean,
    /// Made in this batch: inserted by the flush.
    New,
    /// Loaded, then changed: updated by the flush.
    Changed,
}

impl State {
    /// The state after a change: a new row stays new.
    pub(crate) fn changed(self) -> State {
        match self {
            State::New => State::New,
            _ => State::Changed,
        }
    }
}

/// A row the overlay holds: `None` is a row known not to exist.
#[derive(Clone, Debug)]
pub(crate) struct Cached<T> {
    pub(crate) value: Option<T>,
    pub(crate) state: State,
}

impl<T> Cached<T> {
    pub(crate) fn clean(value: Option<T>) -> Cached<T> {
        Cached {
            value,
            state: State::Clean,
        }
    }
}

pub(crate) struct Table<K, V> {
    rows: HashMap<K, V>,
    /// Each change's key and what it replaced, oldest first.
    undo: Vec<(K, Option<V>)>,
}

impl<K: Hash + Eq + Clone, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            rows: HashMap::new(),
            undo: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, V> Table<K, V> {
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.rows.get(key)
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.rows.contains_key(key)
    }

    pub(crate) fn set(&mut self, key: K, value: V) {
        let old = self.rows.insert(key.clone(), value);
        self.undo.push((key, old));
    }

    /// Sets `key` only if the table has nothing for it: what is held is
    /// newer than any load.
    pub(crate) fn set_if_absent(&mut self, key: K, value: V) {
        if !self.rows.contains_key(&key) {
            self.set(key, value);
        }
    }

    /// Drops what is held for `key` (a write that went past the overlay
    /// changed its row): the next read loads it again.
    pub(crate) fn forget(&mut self, key: &K) {
        if let Some(old) = self.rows.remove(key) {
            self.undo.push((key.clone(), Some(old)));
        }
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.rows.values_mut()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.rows.iter()
    }
}

impl<K: Hash + Eq + Clone, T> Table<K, Cached<T>> {
    /// Marks every row as the database now has it (after a flush).
    pub(crate) fn all_clean(&mut self) {
        for cached in self.rows.values_mut() {
            cached.state = State::Clean;
        }
    }
}

/// A table's undo log, whatever its keys and rows: what the overlay marks,
/// takes back and settles in all its tables at once.
pub(crate) trait UndoLog {
    /// Where the undo log is now, for [`rollback`](UndoLog::rollback).
    fn mark(&self) -> usize;
    /// Takes back every change made since `mark`, newest first.
    fn rollback(&mut self, mark: usize);
    /// Forgets the undo log: what it held can no longer be taken back.
    fn settle(&mut self);
}

impl<K: Hash + Eq + Clone, V> UndoLog for Table<K, V> {
    fn mark(&self) -> usize {
        self.undo.len()
    }

    fn rollback(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((key, old)) = self.undo.pop() else {
                break;
            };
            match old {
                Some(old) => self.rows.insert(key, old),
                None => self.rows.remove(&key),
            };
        }
    }

    fn settle(&mut self) {
        self.undo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_restores_what_was_replaced_and_drops_what_was_added() {
        let mut table: Table<u8, &str> = Table::default();
        table.set(1, "one");
        let mark = table.mark();
        table.set(1, "uno");
        table.set(2, "two");
        table.set_if_absent(1, "ignored");
        table.rollback(mark);
        assert_eq!(table.get(&1), Some(&"one"));
        assert_eq!(table.get(&2), None);
    }
}
