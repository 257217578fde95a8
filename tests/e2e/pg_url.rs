//! The password of a `postgres://` `--db` never reaches the log, whether the
//! server starts or its database refuses it.

use crate::harness::{server_command, Runtime, Server};
use crate::steps::send_public;
use agora_tests::pg::{skipped, PgDatabase};
use std::path::Path;
use std::process::Stdio;

const SECRET: &str = "hunter2-not-for-logs";

#[test]
fn the_database_password_is_never_logged() {
    let Some(database) = PgDatabase::fresh() else {
        return skipped("the_database_password_is_never_logged");
    };
    // The test cluster trusts every local connection: any password will do.
    let url = database
        .url()
        .replacen("postgres@", &format!("postgres:{SECRET}@"), 1);
    assert!(url.contains(SECRET), "{url}");
    let server = Server::start_on_url(Runtime::Tokio, &url, &["--log", "debug"]);
    let mut c = server.client();
    let token = c.token("ann");
    send_public(&mut c, &token, "hi");
    let log = server.log_text();
    server.stop();
    assert!(!log.contains(SECRET), "{log}");
    assert!(
        log.contains("postgres:***@"),
        "the log names the database: {log}"
    );

    let missing = format!("{}_gone", url);
    let output = server_command(Runtime::Tokio, Path::new(&missing))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("does not exist"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
}
