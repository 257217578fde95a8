//! [`OwnCluster`]: a PostgreSQL cluster of one test's own
//! (`tests/pg/cluster.sh`), which it may stop, start or give TLS without
//! disturbing the tests on `$AGORA_TEST_PG`; removed on drop, also when the
//! test fails.

use crate::harness::workspace_root;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct OwnCluster {
    dir: PathBuf,
    pub url: String,
}

impl OwnCluster {
    pub fn start() -> OwnCluster {
        OwnCluster::start_with(&[])
    }

    /// A cluster that also takes TLS, its certificate signed by [`ca`](Self::ca).
    pub fn start_with_tls() -> OwnCluster {
        OwnCluster::start_with(&[("AGORA_PG_TLS", "1")])
    }

    fn start_with(env: &[(&str, &str)]) -> OwnCluster {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!("agora-own-pg-{}-{nanos}", std::process::id()));
        let url = cluster_script("start", &dir, env);
        OwnCluster { dir, url }
    }

    /// The throwaway CA that signed a TLS cluster's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }

    /// Stops PostgreSQL (fast mode: its sessions are cut), keeping its data.
    pub fn halt(&self) {
        cluster_script("halt", &self.dir, &[]);
    }

    /// Starts PostgreSQL again, on the same port and data.
    pub fn resume(&self) {
        cluster_script("resume", &self.dir, &[]);
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = cluster_command("stop", &self.dir).output();
    }
}

fn cluster_command(action: &str, dir: &Path) -> Command {
    let mut command = Command::new(workspace_root().join("tests/pg/cluster.sh"));
    command.arg(action).arg(dir);
    command
}

/// Runs `tests/pg/cluster.sh ACTION DIR`, asserting success; its stdout.
fn cluster_script(action: &str, dir: &Path, env: &[(&str, &str)]) -> String {
    let output = cluster_command(action, dir)
        .envs(env.iter().copied())
        .output()
        .expect("run tests/pg/cluster.sh");
    assert!(
        output.status.success(),
        "tests/pg/cluster.sh {action} {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}
