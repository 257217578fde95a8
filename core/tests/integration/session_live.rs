//! `GET /events` held by the session machine, with time moved by hand and no
//! socket: a long-poll holds, wakes at an event, times out empty, is freed by
//! a hang-up and answered at shutdown; a stream sends its page, pings when
//! idle, is cut at the inbox bound, catches up page by page and resumes
//! after `Last-Event-ID` without sending an event twice.

use crate::session_support::{
    acquired, event, long_poll, only_body, responses, stream, taken, wait_of, watch_id, Harness,
    HEARTBEAT,
};
use agora_core::command::{Command, EventsWait, Outcome};
use agora_core::events::EventId;
use agora_core::session::{HoldKind, Input, Note, Output, Watched};
use std::time::Duration;

fn page(ids: &[EventId], next: EventId, more: bool) -> Watched<crate::session_support::TestEvent> {
    Watched::Page {
        viewer: 1,
        events: ids.iter().map(|&id| event(id)).collect(),
        next,
        more,
    }
}

/// A long-poll after 5 (timeout 30 s) that the store answered with nothing:
/// held.
fn held_long_poll() -> Harness {
    let mut h = Harness::new();
    let asked = h.request(&long_poll(5, 30));
    let id = watch_id(&asked);
    let out = h.feed(Input::Watched(id, Ok(page(&[], 5, false))));
    assert_eq!(acquired(&out), Some(HoldKind::LongPoll));
    assert!(h.session.holding());
    h
}

/// A stream whose page (events `ids`, up to `next`) was sent; its head and
/// page are taken from `sent`.
fn open_stream(
    last: Option<EventId>,
    ids: &[EventId],
    next: EventId,
    more: bool,
) -> (Harness, Vec<Output>, String) {
    let mut h = Harness::new();
    let asked = h.request(&stream(last));
    let id = watch_id(&asked);
    let out = h.feed(Input::Watched(id, Ok(page(ids, next, more))));
    assert_eq!(acquired(&out), Some(HoldKind::Stream));
    let sent = h.take_sent();
    assert!(sent.starts_with("HTTP/1.1 200 "), "{sent}");
    assert!(
        sent.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{sent}"
    );
    (h, out, sent)
}

#[test]
fn a_long_poll_with_nothing_to_hand_out_waits_until_its_deadline() {
    let mut h = held_long_poll();
    let wait = wait_of(&h.drain()).expect("a wait");
    assert_eq!(
        wait,
        (Some(h.t0 + Duration::from_secs(30)), true, Some(500))
    );
    assert_eq!(h.take_sent(), "", "nothing is answered while it waits");
    // An early (or spurious) timeout changes nothing.
    h.at(Duration::from_secs(29));
    h.feed(Input::Timeout);
    h.assert_still_held();
}

#[test]
fn an_event_wakes_a_long_poll_with_a_page_of_it() {
    let mut h = held_long_poll();
    h.at(Duration::from_secs(3));
    let out = h.feed(Input::Events(taken(&[6])));
    assert_eq!(
        only_body(&h.take_sent()),
        "{\"events\":[{\"id\":6}],\"next\":6,\"more\":false}\n"
    );
    assert!(
        out.iter().any(|o| matches!(o, Output::Delivered(1))),
        "{out:?}"
    );
    let answered = out.iter().find_map(|o| match o {
        Output::Answered(a) => Some(a),
        _ => None,
    });
    let answered = answered.expect("its log line");
    assert_eq!(
        (answered.status, answered.elapsed),
        (200, Duration::from_secs(3))
    );
    assert!(!h.session.holding(), "its waiter is freed");
}

#[test]
fn events_at_or_before_the_cursor_do_not_wake_a_long_poll() {
    let mut h = held_long_poll();
    h.feed(Input::Events(taken(&[4, 5])));
    h.assert_still_held();
}

#[test]
fn a_long_poll_times_out_with_an_empty_page_at_its_cursor() {
    let mut h = held_long_poll();
    h.at(Duration::from_secs(30));
    let out = h.feed(Input::Timeout);
    assert_eq!(
        only_body(&h.take_sent()),
        "{\"events\":[],\"next\":5,\"more\":false}\n"
    );
    assert!(!h.session.holding());
    // The connection goes on: idle, with its idle deadline.
    let (deadline, read, events) = wait_of(&out).expect("a wait");
    assert!(deadline.is_some() && read && events.is_none());
}

#[test]
fn a_hang_up_frees_a_held_long_poll_at_once() {
    let mut h = held_long_poll();
    let out = h.feed(Input::Eof);
    assert!(!h.session.holding(), "the waiter is freed");
    assert_eq!(responses(&h.take_sent()).len(), 1);
    assert!(matches!(out.last(), Some(Output::Close)), "{out:?}");
}

#[test]
fn shutdown_answers_a_held_long_poll_and_ends_a_stream() {
    let mut h = held_long_poll();
    h.feed(Input::Shutdown);
    assert_eq!(
        only_body(&h.take_sent()),
        "{\"events\":[],\"next\":5,\"more\":false}\n"
    );
    assert!(!h.session.holding());

    let (mut s, _, _) = open_stream(None, &[], 9, false);
    let out = s.feed(Input::Shutdown);
    assert_eq!(s.take_sent(), "0\r\n\r\n", "the chunked body ends");
    assert!(!s.session.holding());
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Note(Note::StreamEnded { last_event: 9, .. }))));
}

#[test]
fn a_long_poll_that_has_events_is_answered_without_holding() {
    let mut h = Harness::new();
    let id = watch_id(&h.request(&long_poll(5, 30)));
    let out = h.feed(Input::Watched(id, Ok(page(&[6, 7], 7, true))));
    assert_eq!(acquired(&out), None, "no place is taken");
    assert_eq!(
        only_body(&h.take_sent()),
        "{\"events\":[{\"id\":6},{\"id\":7}],\"next\":7,\"more\":true}\n"
    );
}

#[test]
fn a_caller_over_its_streams_gets_429() {
    let mut h = Harness::new();
    h.grant = false;
    let id = watch_id(&h.request(&long_poll(5, 30)));
    h.feed(Input::Watched(id, Ok(page(&[], 5, false))));
    let sent = h.take_sent();
    assert_eq!(responses(&sent)[0].status, 429, "{sent}");
    assert!(!h.session.holding());
}

#[test]
fn a_stream_sends_its_page_then_each_event_as_it_comes() {
    let (mut h, out, sent) = open_stream(None, &[3], 3, false);
    assert!(
        sent.contains("id: 3\nevent: message\ndata: {\"id\":3}\n\n"),
        "{sent}"
    );
    let wait = wait_of(&out).expect("a wait");
    assert_eq!(wait, (Some(h.t0 + HEARTBEAT), true, Some(256)));
    h.at(Duration::from_secs(1));
    let out = h.feed(Input::Events(taken(&[4, 5])));
    let sent = h.take_sent();
    assert!(
        sent.contains("id: 4\n") && sent.contains("id: 5\n"),
        "{sent}"
    );
    // Something went out: the ping waits a whole heartbeat again.
    let wait = wait_of(&out).expect("a wait");
    assert_eq!(wait.0, Some(h.t0 + Duration::from_secs(1) + HEARTBEAT));
}

#[test]
fn an_idle_stream_gets_a_ping_each_heartbeat() {
    let (mut h, _, _) = open_stream(None, &[], 3, false);
    h.at(HEARTBEAT - Duration::from_millis(1));
    h.feed(Input::Timeout);
    assert_eq!(h.take_sent(), "", "not yet");
    h.at(HEARTBEAT);
    let out = h.feed(Input::Timeout);
    assert!(h.take_sent().contains(": ping\n\n"));
    assert_eq!(wait_of(&out).unwrap().0, Some(h.t0 + 2 * HEARTBEAT));
}

#[test]
fn a_stream_cut_at_the_inbox_bound_ends_and_closes() {
    let (mut h, _, _) = open_stream(None, &[], 3, false);
    let mut cut = taken(&[4]);
    cut.cut = true;
    let out = h.feed(Input::Events(cut));
    let sent = h.take_sent();
    assert!(
        sent.contains("id: 4\n"),
        "what came before the cut goes out: {sent}"
    );
    assert!(sent.ends_with("0\r\n\r\n"), "the stream ends: {sent}");
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Note(Note::StreamCut))));
    assert!(matches!(out.last(), Some(Output::Close)), "{out:?}");
    assert!(!h.session.holding());
}

#[test]
fn a_stream_resumes_after_last_event_id_and_sends_each_event_once() {
    let mut h = Harness::new();
    let asked = h.request(&stream(Some(7)));
    let since = asked.iter().find_map(|o| match o {
        Output::Watch {
            command: Command::Events { since, wait, .. },
            ..
        } => Some((*since, *wait)),
        _ => None,
    });
    assert_eq!(since, Some((Some(7), EventsWait::Stream)));
    let id = watch_id(&asked);
    h.feed(Input::Watched(id, Ok(page(&[8], 8, false))));
    h.take_sent();
    // The subscription may hold what the page held: only 9 is new.
    h.feed(Input::Events(taken(&[7, 8, 9])));
    let sent = h.take_sent();
    assert!(sent.contains("id: 9\n"), "{sent}");
    assert!(
        !sent.contains("id: 8\n") && !sent.contains("id: 7\n"),
        "{sent}"
    );
}

#[test]
fn a_stream_behind_catches_up_page_by_page_before_its_inbox() {
    let (mut h, out, sent) = open_stream(Some(0), &[1, 2], 2, true);
    assert!(sent.contains("id: 2\n"));
    // The next page is asked from the last event sent, and awaited first.
    let next = out.iter().find_map(|o| match o {
        Output::Watch {
            id,
            command: Command::Events { since, wait, .. },
        } => Some((*id, *since, *wait)),
        _ => None,
    });
    let (id, since, wait) = next.expect("a next page");
    assert_eq!((since, wait), (Some(2), EventsWait::Page));
    assert_eq!(wait_of(&out).unwrap().2, None, "the inbox waits");
    let out = h.feed(Input::Watched(id, Ok(page(&[3], 3, false))));
    assert!(h.take_sent().contains("id: 3\n"));
    assert_eq!(
        wait_of(&out).unwrap().2,
        Some(256),
        "caught up: the inbox next"
    );
    // A refused page ends the stream.
    let (mut r, out, _) = open_stream(Some(0), &[1], 1, true);
    let id = watch_id(&out);
    r.feed(Input::Watched(
        id,
        Ok(Watched::Answer(Outcome::Failed(
            agora_core::command::Failure::Overloaded,
        ))),
    ));
    assert_eq!(r.take_sent(), "0\r\n\r\n");
    assert!(!r.session.holding());
}

#[test]
fn a_hang_up_ends_a_stream() {
    let (mut h, _, _) = open_stream(None, &[], 3, false);
    h.feed(Input::Eof);
    assert!(!h.session.holding());
    assert_eq!(h.take_sent(), "0\r\n\r\n");
}
