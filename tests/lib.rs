//! Shared test support for agora's workspace tests and the client's tests:
//! where the workspace is, which `agora-server` binary to start, and the
//! HTTP vectors ([`vectors`]) and PostgreSQL databases to run the server on
//! ([`pg`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

pub mod pg;
pub mod vectors;

/// The workspace root: the nearest folder with a `Cargo.lock` above the package
/// under test. Found from the test's run-time `CARGO_MANIFEST_DIR` (set by
/// `cargo test`): the compile-time path of this library is wrong when a target
/// directory was copied from another checkout.
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
        .to_path_buf()
}

/// How to get a binary the tests can use, said in every failure below.
const HOW_TO_BUILD: &str = "`cargo test --workspace` builds it before running any test; \
     for one package's tests run `cargo build -p agora-server` first, or set \
     AGORA_SERVER_BIN to an agora-server binary";

/// The server binary: `$AGORA_SERVER_BIN` if set, else `agora-server` in the
/// target profile directory of this test binary. Cargo builds it there for
/// `cargo test --workspace` (the agora-server package has an integration
/// test), before any test runs. Tests never build it themselves: a `cargo
/// build -p agora-server` inside a test resolves features differently from the
/// workspace and rebuilds every dependency.
///
/// Panics, saying how to build it, when the binary is missing or older than a
/// source file it was built from (as cargo's dep-info next to it lists them),
/// so that a test never passes or fails against stale code.
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("AGORA_SERVER_BIN") {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "AGORA_SERVER_BIN names no file: {}",
                path.display()
            );
            return path;
        }
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary lives in <target>/<profile>/deps");
        let binary = profile_dir.join("agora-server");
        let built = fs::metadata(&binary)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| panic!("no agora-server at {}: {HOW_TO_BUILD}", binary.display()));
        let dep_info = profile_dir.join("agora-server.d");
        let newer = if dep_info.is_file() {
            newer_source(&dep_info, built)
        } else {
            // `cargo test` writes no dep-info beside the binary (`cargo
            // build` does): look at the server's own sources instead, so
            // that `tests/run --test e2e` after an edit fails here rather
            // than testing the old binary.
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            SERVER_SOURCES
                .iter()
                .find_map(|dir| newer_file(&root.join(dir), built))
        };
        if let Some(source) = newer {
            panic!(
                "{} is older than {}, which changed after it was built: {HOW_TO_BUILD}",
                binary.display(),
                source.display()
            );
        }
        binary
    })
}

/// A file that cargo's dep-info `dep_info` (`<binary>: <source> <source>...`,
/// spaces in paths escaped as `\ `) lists and that was modified after `built`,
/// or that is gone. `None` also when there is no dep-info to read.
fn newer_source(dep_info: &Path, built: SystemTime) -> Option<PathBuf> {
    let text = fs::read_to_string(dep_info).ok()?;
    let (_, sources) = text.lines().next()?.split_once(": ")?;
    sources_of(sources).into_iter().find(|source| {
        match fs::metadata(source).and_then(|m| m.modified()) {
            Ok(modified) => modified > built,
            Err(_) => true,
        }
    })
}

/// The folders of the workspace the server is built from (its crates'
/// sources and the page it embeds).
const SERVER_SOURCES: [&str; 5] = [
    "core/src",
    "store/src",
    "adapters/src",
    "adapters/server/src",
    "web",
];

/// A file under `dir` modified after `built`, if any.
fn newer_file(dir: &Path, built: SystemTime) -> Option<PathBuf> {
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            if let Some(found) = newer_file(&path, built) {
                return Some(found);
            }
        } else if meta.modified().is_ok_and(|modified| modified > built) {
            return Some(path);
        }
    }
    None
}

/// The paths of a dep-info line's right-hand side.
fn sources_of(list: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = list.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => paths.extend((!current.is_empty()).then(|| PathBuf::from(current.split_off(0)))),
            c => current.push(c),
        }
    }
    paths.extend((!current.is_empty()).then(|| PathBuf::from(current)));
    paths
}

/// The server secret file (issue 28) of every server the tests start on
/// PostgreSQL, beside the server binary: every test database on the
/// cluster, and so every node that shares one, has the same secret (the
/// first server to start makes the file). A SQLite server keeps its own
/// default, beside its database file.
pub fn pg_secret_file() -> PathBuf {
    server_binary().with_file_name("agora-tests.secret")
}

/// The seed's rules on new accounts (`--register-rate 0 --reporter-min-age
/// 0s`), as environment variables so that a test's own flag overrides them:
/// the suites register many users from 127.0.0.1 and report at once.
pub const SEED_RULES: [(&str, &str); 2] = [
    ("AGORA_REGISTER_RATE", "0"),
    ("AGORA_REPORTER_MIN_AGE", "0s"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dep_info_paths_keep_escaped_spaces() {
        assert_eq!(
            sources_of("/a/b.rs /c\\ d/e.rs  /f.rs"),
            [
                PathBuf::from("/a/b.rs"),
                PathBuf::from("/c d/e.rs"),
                PathBuf::from("/f.rs")
            ]
        );
    }

    #[test]
    fn a_source_changed_after_the_build_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.rs");
        let new = dir.path().join("new.rs");
        fs::write(&old, "").unwrap();
        fs::write(&new, "").unwrap();
        let dep_info = dir.path().join("bin.d");
        let listing = format!(
            "{}: {} {}\n",
            dir.path().join("bin").display(),
            old.display(),
            new.display()
        );
        fs::write(&dep_info, listing).unwrap();

        let after_both = SystemTime::now() + Duration::from_secs(60);
        assert_eq!(newer_source(&dep_info, after_both), None);
        let before_both = SystemTime::UNIX_EPOCH;
        assert_eq!(newer_source(&dep_info, before_both), Some(old.clone()));
        fs::remove_file(&old).unwrap();
        assert_eq!(
            newer_source(&dep_info, after_both),
            Some(old),
            "a removed source"
        );
        assert_eq!(newer_source(&dir.path().join("none.d"), before_both), None);
    }
}
