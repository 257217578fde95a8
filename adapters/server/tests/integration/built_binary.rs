//! The binary as cargo builds it. Having an integration test also makes
//! `cargo test --workspace` build `agora-server` (cargo builds a package's
//! binaries for its integration tests) before any test runs, so the end-to-end
//! and client tests find it in the target directory instead of building it.

use std::process::Command;

#[test]
fn the_binary_runs_and_names_its_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_agora-server"))
        .arg("--version")
        .output()
        .expect("run agora-server --version");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!("agora-server ", env!("CARGO_PKG_VERSION"))
    );
}
