//! Shared test support for agora's workspace tests and the client's tests:
//! where the workspace is and how to get a freshly built `agora-server`, and
//! the HTTP vectors ([`vectors`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub mod vectors;

/// The workspace root: the nearest folder with a `Cargo.lock` above the package
/// under test. Found from the test's run-time `CARGO_MANIFEST_DIR` (set by
/// `cargo test`): the compile-time path of this library is wrong when a target
/// directory was copied from another checkout, and would build that one.
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

/// The server binary: `$AGORA_SERVER_BIN` if set, else built once with cargo into
/// the same target directory and profile as this test binary. (Cargo only gives
/// `CARGO_BIN_EXE_*` to tests of the binary's own package.)
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("AGORA_SERVER_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary lives in <target>/<profile>/deps");
        let target_dir = profile_dir.parent().expect("profile dir has a parent");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(workspace_root())
            .args(["build", "-p", "agora-server", "--bin", "agora-server"])
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build for agora-server");
        assert!(status.success(), "cargo build -p agora-server failed");
        let binary = profile_dir.join("agora-server");
        assert!(binary.exists(), "no binary at {}", binary.display());
        binary
    })
}
