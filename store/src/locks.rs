//! The store's locks (the engine's and live delivery's), taken whatever a
//! panicking holder left behind.
//!
//! The engine's locks guard a value that is replaced whole (a queue's sender,
//! a thread's handle, a memo's map whose entries are inserted whole), never
//! one left half-written, so a poisoned lock is taken as it is: a panic on
//! one thread must not stop the others from shutting down or answering.
//! Live delivery's (the hub, an inbox, the feed) were taken so before they
//! came here: a panic on one connection must not end every other stream.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Takes what `mutex` holds, leaving `None` (a thread to join once, a
/// callback to run once).
pub(crate) fn take<T>(mutex: &Mutex<Option<T>>) -> Option<T> {
    lock(mutex).take()
}

/// Takes what `lock` holds, leaving `None`, under its write lock: once
/// the readers of a queue's sender are done with it, no one sends again.
pub(crate) fn take_written<T>(lock: &RwLock<Option<T>>) -> Option<T> {
    lock.write().unwrap_or_else(PoisonError::into_inner).take()
}
