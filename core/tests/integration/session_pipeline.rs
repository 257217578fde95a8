//! The session machine's pipeline, without a socket or a store: pipelined
//! writes go to the store together and are answered in request order even
//! when an outcome arrives late, a read waits for the writes before it, a
//! token's bytes are asked for only by a request that issues one, and a
//! store that went away is a 503.

use crate::session_support::{responses, submit_ids, wait_of, Harness, TOKEN};
use agora_core::command::{Command, Failure, Outcome};
use agora_core::session::{Gone, Input, Note, Output};
use agora_core::token::Token;

fn get_token(name: &str) -> String {
    let body = format!(r#"{{"user_name":"{name}"}}"#);
    format!(
        "POST /get-token HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn status() -> String {
    format!("GET /status HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\n\r\n")
}

fn issued(name: &str) -> Outcome {
    Outcome::TokenIssued {
        token: Token([7; 16]),
        user_name: name.to_owned(),
    }
}

#[test]
fn pipelined_writes_are_answered_in_order_when_an_outcome_comes_late() {
    let mut h = Harness::new();
    let script = format!("{}{}{}", get_token("a"), get_token("b"), status());
    let out = h.request(&script);
    // Both writes go to the store at once; the read waits behind them.
    let ids = submit_ids(&out);
    assert_eq!(ids.len(), 2, "{out:?}");
    let (deadline, _, _) = wait_of(&out).expect("a wait");
    assert_eq!(deadline, None, "no idle deadline while the store works");
    // The second's outcome first: nothing may go out before the first's.
    let out = h.feed(Input::Outcome(
        ids[1],
        Ok(Outcome::Failed(Failure::TokenAlreadyIssued)),
    ));
    assert_eq!(h.take_sent(), "");
    assert!(submit_ids(&out).is_empty(), "the read still waits");
    let out = h.feed(Input::Outcome(ids[0], Ok(issued("a"))));
    let statuses: Vec<u16> = responses(&h.take_sent()).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 409]);
    // Now the read starts.
    let read = out.iter().find_map(|o| match o {
        Output::Submit { command, .. } => Some(command),
        _ => None,
    });
    assert!(matches!(read, Some(Command::Status { .. })), "{out:?}");
}

#[test]
fn only_a_request_that_issues_a_token_asks_for_random_bytes() {
    let mut h = Harness::new();
    h.request(&status());
    assert_eq!(h.tokens, 0);
    let out = h.request(&get_token("a"));
    // The Harness answered `NeedToken` with bytes 1,1,..: the command carries them.
    assert_eq!(h.tokens, 1);
    let _ = out;
}

#[test]
fn a_token_issued_is_made_of_the_bytes_handed_in() {
    let mut h = Harness::new();
    let out = h.request(&get_token("a"));
    let token = out.iter().find_map(|o| match o {
        Output::Submit {
            command: Command::GetToken { token, .. },
            ..
        } => Some(*token),
        _ => None,
    });
    assert_eq!(token, Some(Token([1; 16])), "{out:?}");
}

#[test]
fn a_store_that_went_away_is_a_503_and_a_log_line() {
    let mut h = Harness::new();
    let out = h.request(&get_token("a"));
    let id = submit_ids(&out)[0];
    let out = h.feed(Input::Outcome(id, Err(Gone)));
    let sent = h.take_sent();
    assert_eq!(responses(&sent)[0].status, 503);
    assert!(sent.contains("store_unavailable"), "{sent}");
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Note(Note::StoreDropped { .. }))));
}
