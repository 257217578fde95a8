//! TLS to PostgreSQL: with `sslmode=require` every connection of the server
//! is encrypted, and a server certificate that no trusted root signed stops
//! the start (a node must not hand private messages to whoever answers).
//! A cluster of its own, with TLS, from `tests/pg/cluster.sh`.

use crate::harness::{Runtime, Server, IO_TIMEOUT};
use crate::own_cluster::OwnCluster;
use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

/// A cluster of the test's own, with TLS, and the server's `sslmode=require`
/// URL of it; `None`, after saying loudly that `test` is skipped, without a
/// test cluster (`AGORA_SKIP_PG=1`).
fn tls_cluster(test: &str) -> Option<(OwnCluster, String)> {
    if agora_tests::pg::cluster_url().is_none() {
        agora_tests::pg::skipped(test);
        return None;
    }
    let cluster = OwnCluster::start_with_tls();
    let db = format!("{}?sslmode=require", cluster.url);
    Some((cluster, db))
}

#[test]
fn every_connection_is_encrypted_with_sslmode_require() {
    let Some((cluster, db)) = tls_cluster("every_connection_is_encrypted_with_sslmode_require")
    else {
        return;
    };
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
    let Some((_cluster, db)) = tls_cluster("an_untrusted_certificate_stops_the_start") else {
        return;
    };
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
