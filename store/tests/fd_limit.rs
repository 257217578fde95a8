//! Every connection the store uses is opened by `Handle::open`: short of file
//! descriptors, the store refuses to start (and says why) rather than start
//! and then answer reads `store_unavailable` because a reader could not open
//! its connection. Alone in its binary: it lowers the process's open-file
//! limit.

mod support;

use agora_core::command::{Command, Outcome};
use agora_store::Handle;
use support::{config, register, run};

fn open_files() -> libc::rlim_t {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as libc::rlim_t
}

fn file_limit() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) into a valid struct.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    limit
}

fn set_file_limit(limit: &libc::rlimit) {
    // SAFETY: setrlimit(2) from a valid struct; the soft limit stays at or
    // under the hard one.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, limit) };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
}

/// With a few more descriptors allowed each time, from too few for anything
/// to enough for everything: the store either does not open, or opens and
/// answers every read.
#[test]
fn short_of_file_descriptors_the_store_does_not_start() {
    let original = file_limit();
    let mut refusals = Vec::new();
    let mut started = 0;
    for extra in 1..=24 {
        let dir = tempfile::tempdir().unwrap();
        let mut store = config(&dir.path().join("agora.db"));
        store.readers = 4;
        set_file_limit(&libc::rlimit {
            rlim_cur: open_files() + extra,
            rlim_max: original.rlim_max,
        });
        let opened = Handle::open(store);
        set_file_limit(&original);
        match opened {
            Err(e) => refusals.push(e.to_string()),
            Ok(handle) => {
                started += 1;
                // The limit again, now that the store is open.
                set_file_limit(&libc::rlimit {
                    rlim_cur: open_files(),
                    rlim_max: original.rlim_max,
                });
                let caller = register(&handle, "alice");
                // Each registration is a commit: the status after it is read
                // by a reader thread, not replayed from the memo.
                let statuses: Vec<_> = (0..8)
                    .map(|i| {
                        register(&handle, &format!("user{i}"));
                        run(&handle, Command::Status { caller })
                    })
                    .collect();
                set_file_limit(&original);
                for status in statuses {
                    assert!(
                        matches!(status, Outcome::Status(_)),
                        "opened with {extra} descriptors to spare, then: {status:?}"
                    );
                }
                handle.shutdown();
            }
        }
    }
    assert!(started > 0, "never opened: {refusals:#?}");
    assert!(
        refusals
            .iter()
            .any(|e| e.contains("reader connection") && e.contains("ulimit -n")),
        "no refusal names a reader's connection: {refusals:#?}"
    );
}
