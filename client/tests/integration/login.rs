//! End-to-end: saving a token with `agora login` for a user registered
//! elsewhere, and one saved token per server however its URL is written.

use crate::support;

use support::{Client, Server};

/// Registers `name` as the README's curl step would (from another config
/// directory), and returns its token.
fn register_elsewhere(server: &Server, name: &str) -> String {
    let elsewhere = Client::new(server);
    let run = elsewhere.run(&["--json", "register", name]);
    assert_eq!(run.code, 0, "{run:?}");
    let body: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    body["token"].as_str().unwrap().to_owned()
}

fn saved_tokens(client: &Client) -> Option<serde_json::Value> {
    let bytes = std::fs::read(client.config.path().join("agora").join("tokens.json")).ok()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn login_saves_the_token_of_a_user_registered_elsewhere() {
    let server = Server::start(&[]);
    let token = register_elsewhere(&server, "alice");
    let client = Client::new(&server);

    // The name is taken: register says so, and how to use the token instead.
    let taken = client.run(&["register", "alice"]);
    taken.assert_refused(
        1,
        &["token_already_issued", "agora login alice --token TOKEN"],
    );

    // The name compares without regard to case; the server's spelling is kept.
    let login = client.run(&["login", "ALICE", "--token", &token]);
    assert_eq!(login.code, 0, "{login:?}");
    assert_eq!(
        login.stdout,
        format!(
            "logged in as alice on {}; token saved in {}\n",
            server.url,
            client.config.path().join("agora/tokens.json").display()
        )
    );
    assert_eq!(
        saved_tokens(&client).unwrap(),
        serde_json::json!({ &server.url: { "alice": token } })
    );
    let status = client.run(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status.stdout.starts_with("connected as alice\n"),
        "{status:?}"
    );
}

#[test]
fn login_saves_nothing_the_server_does_not_confirm() {
    let mut server = Server::start(&[]);
    let token = register_elsewhere(&server, "alice");
    let client = Client::new(&server);

    let unknown = client.run(&["login", "alice", "--token", &"0".repeat(32)]);
    unknown.assert_refused(
        1,
        &[
            "(unauthorized)",
            "knows no user with this token; nothing was saved",
        ],
    );

    let someone_else = client.run(&["login", "bob", "--token", &token]);
    assert_eq!(someone_else.code, 2, "{someone_else:?}");
    assert_eq!(
        someone_else.stderr,
        format!(
            "agora: this token is alice's on {}, not bob's; nothing was saved \
             (`agora login alice --token TOKEN` saves it for alice)\n",
            server.url
        )
    );
    assert_eq!(saved_tokens(&client), None, "a token file was written");

    server.stop();
    let gone = client.run(&["login", "alice", "--token", &token]);
    assert_eq!(gone.code, 3, "{gone:?}");
    assert_eq!(saved_tokens(&client), None, "a token file was written");
}

#[test]
fn a_server_is_one_server_however_its_url_is_written() {
    let server = Server::start(&[]);
    let client = Client::new(&server);
    let with_slash = format!("{}/", server.url);
    let run = client.run(&["--server", &with_slash, "register", "alice"]);
    assert_eq!(run.code, 0, "{run:?}");
    let status = client.run(&["--server", &server.url, "status"]);
    assert_eq!(status.code, 0, "{status:?}");
    let status = client.run(&["--server", &with_slash.to_uppercase(), "status"]);
    assert_eq!(status.code, 0, "{status:?}");

    // A token file whose key was written another way (by hand, say).
    let file = client.config.path().join("agora").join("tokens.json");
    let saved = std::fs::read_to_string(&file).unwrap();
    let key = format!("\"{}\"", server.url);
    std::fs::write(&file, saved.replace(&key, &format!("\"{with_slash}\""))).unwrap();
    let status = client.run(&["--server", &server.url, "status"]);
    assert_eq!(status.code, 0, "{status:?}");
}
