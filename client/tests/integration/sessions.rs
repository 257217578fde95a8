//! End-to-end (issue 28): `agora passwd`, `agora login NAME` with the
//! password (read from standard input here: it is not a terminal),
//! `agora sessions`, `agora logout [--device ID]`.

use crate::support;

use support::{Client, Server};

#[test]
fn password_login_sessions_and_logout() {
    let server = Server::start(&[]);
    let laptop = Client::with_users(&server, &["alice"]);
    // No password yet: the current one is empty.
    laptop
        .run_with_input(&["passwd"], "\ncorrect horse battery\n")
        .assert_out(0, "password set");
    // Changing it needs the current one.
    laptop
        .run_with_input(&["passwd"], "wrong\nanother password\n")
        .assert_err(1, "wrong_password");

    // A second machine signs in with the password.
    let phone = Client::new(&server);
    phone
        .run_with_input(&["login", "alice", "--device", "phone"], "nope nope\n")
        .assert_err(1, "login_failed");
    let login = phone.run_with_input(
        &["login", "ALICE", "--device", "phone"],
        "correct horse battery\n",
    );
    login.assert_out(0, "signed in as alice");
    phone.run(&["status"]).assert_out(0, "alice");

    // Two sessions, the phone's marked on the phone.
    let listed = phone.run(&["sessions"]);
    listed.assert_out(0, "phone");
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{listed:?}");
    let mine = lines.iter().find(|l| l.contains("this device")).unwrap();
    assert!(mine.contains("phone"), "{listed:?}");
    let other = lines.iter().find(|l| !l.contains("this device")).unwrap();
    let other_id = other.split_whitespace().next().unwrap();

    // The phone signs the laptop out: the laptop's token stops working.
    phone
        .run(&["logout", "--device", other_id])
        .assert_out(0, "signed out device");
    laptop.run(&["status"]).assert_err(1, "unauthorized");
    // And then itself.
    phone.run(&["logout"]).assert_out(0, "signed out alice");
    phone.run(&["sessions"]).assert_err(1, "unauthorized");
}
