//! TLS to PostgreSQL: with `sslmode=require` every connection of the server
//! is encrypted, and a server certificate that no trusted root signed stops
//! the start (a node must not hand private messages to whoever answers).
//! A cluster of its own, with TLS, from `tests/pg/cluster.sh`.

use crate::harness::{workspace_root, Runtime, Server, IO_TIMEOUT};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A throwaway cluster taking TLS, stopped and removed on drop.
struct TlsCluster {
    dir: PathBuf,
    url: String,
}

impl TlsCluster {
    fn start() -> TlsCluster {
        let parent = tempfile::Builder::new()
            .prefix("agora-tls-cluster")
            .tempdir_in("/tmp")
            .unwrap()
            .keep();
        let dir = parent.join("cluster");
        let output = Command::new(workspace_root().join("tests/pg/cluster.sh"))
            .args(["start".as_ref(), dir.as_os_str()])
            .env("AGORA_PG_TLS", "1")
            .stderr(Stdio::inherit())
            .output()
            .expect("run tests/pg/cluster.sh");
        assert!(output.status.success(), "cluster.sh start failed");
        let url = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        TlsCluster { dir, url }
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = Command::new(workspace_root().join("tests/pg/cluster.sh"))
            .args(["stop".as_ref(), self.dir.as_os_str()])
            .status();
        if let Some(parent) = self.dir.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

#[test]
fn every_connection_is_encrypted_with_sslmode_require() {
    if agora_tests::pg::cluster_url().is_none() {
        return agora_tests::pg::skipped("every_connection_is_encrypted_with_sslmode_require");
    }
    let cluster = TlsCluster::start();
    let db = format!("{}?sslmode=require", cluster.url);
    let ca = cluster.ca();
    let env = [("SSL_CERT_FILE", ca.to_str().unwrap())];
    let server = Server::start_with_env(Runtime::Tokio, Path::new(&db), &[], &env);
    let mut c = server.client();
    let token = c.token("ann");
    c.post(
        "/send",
        Some(&token),
        json!({"message": "over TLS", "chat": {"type": "public"}}),
    )
    .expect(201);
    assert_eq!(c.get("/health", None).expect(200), json!({"status": "ok"}));
    let mut admin = postgres::Client::connect(&cluster.url, postgres::NoTls).unwrap();
    let connections: Vec<(String, bool)> = admin
        .query(
            "SELECT a.application_name, s.ssl FROM pg_stat_activity a
             JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'agora %'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    // The writer, the listener and the readers.
    assert!(connections.len() >= 3, "{connections:?}");
    assert!(connections.iter().all(|(_, ssl)| *ssl), "{connections:?}");
    server.stop();
}

#[test]
fn an_untrusted_certificate_stops_the_start() {
    if agora_tests::pg::cluster_url().is_none() {
        return agora_tests::pg::skipped("an_untrusted_certificate_stops_the_start");
    }
    let cluster = TlsCluster::start();
    let db = format!("{}?sslmode=require", cluster.url);
    // Roots that do not include the cluster's CA.
    let elsewhere = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let output = crate::harness::server_command(Runtime::Tokio, Path::new(&db))
        .env("SSL_CERT_FILE", elsewhere.path())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(started.elapsed() < IO_TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "the start fails");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("invalid peer certificate"), "{log}");
    assert!(!log.contains("listening on"), "{log}");
}
