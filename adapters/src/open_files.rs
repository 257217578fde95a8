//! The open-file limit against `--max-connections`.
//!
//! Every connection holds descriptors, and once the process is out of them
//! `accept` fails: clients wait instead of getting their 503, and the store
//! cannot open its files. The usual soft limit (1,024) is far below the
//! default `--max-connections` (10,000), while the hard limit is often much
//! higher. So at start the soft limit is raised to the hard one, and the
//! connection limit is lowered to what the descriptors left can hold.

use crate::config::Runtime;
use crate::limits::REFUSING_MAX;
use std::io;
use tracing::warn;

/// Descriptors held apart from connections and the store: the standard
/// streams, the listener (and the blocking runtime's copy of it), the signal
/// pipe, the runtimes' pollers, wakers and timers, SQLite's temporary files,
/// and a margin.
const BASE_RESERVE: u64 = 32;
/// Descriptors one SQLite connection holds: the database, `-wal` and `-shm`.
const PER_STORE_CONNECTION: u64 = 3;

impl Runtime {
    /// Descriptors one open connection holds.
    pub fn descriptors_per_connection(self) -> u64 {
        match self {
            // The socket, the copy that shutdown uses to wake its read, and
            // the eventfd a held long-poll or stream waits on (kept for the
            // connection's life once it held one).
            Runtime::Blocking => 3,
            Runtime::Tokio | Runtime::Smol => 1,
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (as far as the system
/// allows); returns the soft limit in force.
pub fn raise_open_file_limit() -> io::Result<u64> {
    let mut limit = open_file_limit()?;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            ..limit
        };
        // SAFETY: setrlimit(2) reads the struct we pass. It fails where the
        // hard limit is above what the system allows (macOS's unlimited);
        // the soft limit then stays as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    Ok(limit.rlim_cur)
}

/// The process's `RLIMIT_NOFILE`: its soft and hard limits.
fn open_file_limit() -> io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit)
}

/// How many connections `limit` descriptors hold on `runtime`, next to a
/// store with `store_connections` SQLite connections and the connections
/// being refused (at least one).
pub fn connections_that_fit(limit: u64, runtime: Runtime, store_connections: usize) -> usize {
    let reserve =
        BASE_RESERVE + PER_STORE_CONNECTION * store_connections as u64 + REFUSING_MAX as u64;
    let fit = limit.saturating_sub(reserve) / runtime.descriptors_per_connection();
    usize::try_from(fit).unwrap_or(usize::MAX).max(1)
}

/// Raises the open-file limit and returns the connection limit to serve with:
/// `requested`, or less if the limit cannot hold it (said in one warning).
pub fn fit_max_connections(requested: usize, runtime: Runtime, store_connections: usize) -> usize {
    let limit = match raise_open_file_limit() {
        Ok(limit) => limit,
        Err(e) => {
            warn!("cannot read the open-file limit ({e}); keeping --max-connections {requested}");
            return requested;
        }
    };
    let fit = connections_that_fit(limit, runtime, store_connections);
    if fit >= requested {
        return requested;
    }
    warn!(
        "--max-connections {requested} does not fit the open-file limit of {limit} \
         ({} per connection on {runtime}, plus the store's and a reserve): serving at most \
         {fit} connections; raise the hard limit (ulimit -Hn, LimitNOFILE=) to serve more",
        runtime.descriptors_per_connection()
    );
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_after_the_reserve() {
        // 32 + 3 * 3 + 32 = 73 descriptors reserved.
        assert_eq!(connections_that_fit(1024, Runtime::Tokio, 3), 951);
        assert_eq!(connections_that_fit(1024, Runtime::Smol, 3), 951);
        assert_eq!(connections_that_fit(1024, Runtime::Blocking, 3), 317);
        assert_eq!(connections_that_fit(10, Runtime::Tokio, 3), 1);
        assert_eq!(
            connections_that_fit(1 << 40, Runtime::Tokio, 3),
            (1 << 40) - 73
        );
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        // Lowered first (this process's other tests need few descriptors), so
        // that there is something to raise.
        let hard = open_file_limit().unwrap().rlim_max;
        assert!(
            hard > 512,
            "a hard open-file limit of {hard} is too low for this test"
        );
        let lowered = libc::rlimit {
            rlim_cur: 512,
            rlim_max: hard,
        };
        // SAFETY: setrlimit(2) reads the struct we pass.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
        let soft = raise_open_file_limit().unwrap();
        assert_eq!(open_file_limit().unwrap().rlim_cur, hard);
        assert_eq!(soft, hard);
    }
}
