//! Live delivery across nodes: a send on one node wakes a long-poll on
//! another at once, and a client whose node dies resumes its stream on
//! another node with nothing lost or twice.

use super::{head, Nodes, Writer, NO_QUOTA};
use crate::harness::IO_TIMEOUT;
use crate::sse::SseStream;
use crate::steps::{send_public, tokens};
use std::time::{Duration, Instant};

/// The bound from a 201 on one node to the wake-up on another.
const WAKE_BOUND: Duration = Duration::from_millis(100);

/// (waiting node, sending node): every ordered pair.
const PAIRS: [(usize, usize); 6] = [(0, 1), (1, 2), (2, 0), (0, 2), (1, 0), (2, 1)];
/// Each pair this many times.
const ROUNDS_PER_PAIR: usize = 2;

#[test]
fn a_long_poll_wakes_within_100ms_of_a_send_on_another_node() {
    let Some(nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    let mut c = nodes.client(0);
    let [alice, bob] = tokens(&mut c, ["alice", "bob"]);
    let mut latencies = Vec::new();
    let pairs = PAIRS.iter().cycle().take(PAIRS.len() * ROUNDS_PER_PAIR);
    for (round, &(waiting, sending)) in pairs.enumerate() {
        let mut waiter = nodes.client(waiting);
        let since = head(&mut waiter, &bob);
        let token = bob.clone();
        let poll = std::thread::spawn(move || {
            let target = format!("/events?since={since}&timeout=5");
            let answer = waiter.get(&target, Some(&token)).expect(200);
            (answer, Instant::now())
        });
        // Let the long-poll reach its node and wait there.
        std::thread::sleep(Duration::from_millis(250));
        let id = send_public(&mut nodes.client(sending), &alice, &format!("wake {round}"));
        let acknowledged = Instant::now();
        let (answer, woke) = poll.join().expect("long-poll thread");
        let events = answer["events"].as_array().expect("events");
        assert_eq!(events.len(), 1, "round {round}: {answer}");
        assert_eq!(events[0]["message"]["id"], id, "round {round}: {answer}");
        latencies.push((
            woke.saturating_duration_since(acknowledged),
            waiting,
            sending,
        ));
    }
    for (latency, waiting, sending) in &latencies {
        eprintln!("long-poll on node {waiting} woke {latency:?} after the 201 from node {sending}");
    }
    // Each wake-up must be within the bound, but for one: with two cores
    // shared by the three nodes, PostgreSQL and the test, one round may
    // lose the scheduler for a while. A wake-up by the one-second poll
    // instead of the notification would miss the bound in most rounds.
    let mut sorted: Vec<Duration> = latencies.iter().map(|(l, ..)| *l).collect();
    sorted.sort_unstable();
    eprintln!(
        "wake latency: median {:?}, max {:?}",
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    let late = sorted.iter().filter(|&&l| l >= WAKE_BOUND).count();
    assert!(
        late <= 1,
        "{late} wake-ups took {WAKE_BOUND:?} or more: {latencies:?}"
    );
}

#[test]
fn a_stream_moves_to_another_node_when_its_node_dies_and_loses_nothing() {
    let Some(mut nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    // The client follows node 1 (smol), which dies; messages are sent on
    // nodes 0 (tokio) and 2 (blocking); the client moves to node 0.
    let (dying, moved_to, also_sending) = (1, 0, 2);
    let mut c = nodes.client(0);
    let [alice, carol, bob] = tokens(&mut c, ["alice", "carol", "bob"]);
    let since = head(&mut nodes.client(dying), &bob);
    let mut stream = SseStream::open(nodes.addr(dying), &bob, None, Some(since));
    assert_eq!(stream.status, 200);

    let pause = Duration::from_millis(10);
    let writers = [
        Writer::start(nodes.addr(moved_to), alice, "alice".into(), pause),
        Writer::start(nodes.addr(also_sending), carol, "carol".into(), pause),
    ];
    // (event id, message id) in the order received.
    let mut received: Vec<(i64, i64)> = Vec::new();
    receive(
        &mut stream,
        &mut received,
        Instant::now() + Duration::from_secs(1),
    );
    nodes.kill(dying);
    receive(&mut stream, &mut received, Instant::now() + IO_TIMEOUT);
    assert!(stream.ended, "the stream ends when its node dies");
    let before = received.len();
    assert!(before > 0, "events came before the node died");

    let last_event_id = received.last().map(|(id, _)| *id);
    let mut stream = SseStream::open(nodes.addr(moved_to), &bob, last_event_id, None);
    assert_eq!(stream.status, 200);
    receive(
        &mut stream,
        &mut received,
        Instant::now() + Duration::from_secs(1),
    );
    let mut acknowledged: Vec<i64> = Vec::new();
    for writer in writers {
        for attempt in writer.finish() {
            let reply = attempt.reply.as_ref().expect("the senders' nodes live");
            assert_eq!(
                reply.status,
                201,
                "{:?}",
                String::from_utf8_lossy(&reply.body)
            );
            acknowledged.extend(attempt.accepted());
        }
    }
    acknowledged.sort_unstable();
    let last = *acknowledged.last().expect("messages were sent");
    let deadline = Instant::now() + IO_TIMEOUT;
    while received.last().is_none_or(|(_, m)| *m < last)
        && receive_one(&mut stream, &mut received, deadline)
    {}
    // Anything late (a duplicate) would come now.
    receive(
        &mut stream,
        &mut received,
        Instant::now() + Duration::from_millis(300),
    );
    eprintln!(
        "{} messages: {before} from the dead node, {} after the move",
        acknowledged.len(),
        received.len() - before
    );

    let event_ids: Vec<i64> = received.iter().map(|(id, _)| *id).collect();
    assert!(
        event_ids.windows(2).all(|w| w[0] < w[1]),
        "event ids only grow: {event_ids:?}"
    );
    let message_ids: Vec<i64> = received.iter().map(|(_, m)| *m).collect();
    assert_eq!(message_ids, acknowledged, "every message once, in order");
}

/// Adds the next message event `stream` delivers before `until` to
/// `received`, as (event id, message id); false when none came or the
/// stream ended.
fn receive_one(stream: &mut SseStream, received: &mut Vec<(i64, i64)>, until: Instant) -> bool {
    let left = until.saturating_duration_since(Instant::now());
    let Some((id, event, data)) = stream.next_event(left) else {
        return false;
    };
    assert_eq!(event, "message", "{data}");
    received.push((id, data["message"]["id"].as_i64().expect("message id")));
    true
}

/// [`receive_one`] until `until` or the stream's end.
fn receive(stream: &mut SseStream, received: &mut Vec<(i64, i64)>, until: Instant) {
    while receive_one(stream, received, until) {}
}
