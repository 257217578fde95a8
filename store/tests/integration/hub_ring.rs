//! The hub's ring of recent events is bounded by the bytes its events hold,
//! not only by their count: big events push the oldest ones out (clients
//! catching up from there read the database), small ones do not.

use agora_core::api::Published;
use agora_core::events::{Event, EventBody, EventChat, EventId};
use agora_core::time::UnixMillis;
use agora_core::view::StoredMessage;
use agora_store::Hub;
use agora_store::EVENT_RING_BYTES as RING_BYTES;

const ALICE: i64 = 1;
const BOB: i64 = 2;
const CAROL: i64 = 3;

/// A private message from alice to bob, as the writer records it.
fn private_message(id: EventId, text: &str) -> Event {
    let message = StoredMessage {
        id,
        author: "alice".into(),
        pub_date: UnixMillis(1_700_000_000_000),
        text: text.into(),
        comments: Vec::new(),
        comments_total: 0,
        ..StoredMessage::default()
    };
    let chat = EventChat::private(2, (ALICE, "alice".into()), (BOB, "bob".into()));
    Event {
        id,
        body: EventBody::Message { chat, message },
    }
}

/// 4,096 control characters: each escapes to `\u00XX`, 24 KiB of JSON.
fn control_text() -> String {
    "\u{1}".repeat(4096)
}

#[test]
fn big_events_are_evicted_by_bytes_and_recent_ones_stay_in_memory() {
    let hub = Hub::new(0, 1 << 20);
    let text = control_text();
    // Recorded and delivered to both members, so that both encodings exist.
    let (alice, _) = hub.subscribe(ALICE);
    let (bob, _) = hub.subscribe(BOB);
    for id in 1..=1000 {
        let published = hub.record(vec![private_message(id, &text)]);
        hub.fan_out(&published);
        alice.take(usize::MAX);
        bob.take(usize::MAX);
    }
    let (count, bytes) = hub.ring_size();
    assert!(bytes <= RING_BYTES, "the ring holds {bytes} bytes");
    assert!(count < 1000, "all {count} big events are still in the ring");
    assert!(count > 100, "only {count} events left for catch-up");
    // The oldest cursors are read from the database ...
    assert!(hub.recent(ALICE, 0, 500).is_none());
    // ... the newest from memory, for both members and nobody else.
    let newest = hub
        .recent(BOB, 990, 500)
        .expect("recent cursors are in memory");
    assert_eq!(
        newest.iter().map(|e| e.id).collect::<Vec<_>>(),
        (991..=1000).collect::<Vec<_>>()
    );
    assert_eq!(hub.recent(CAROL, 990, 500).map(|e| e.len()), Some(0));
}

#[test]
fn the_charge_covers_what_the_encodings_hold() {
    let published = Published::new(private_message(7, &control_text()));
    let alice = published.encoded_for(ALICE);
    let bob = published.encoded_for(BOB);
    let encoded = alice.json.len() + alice.sse.len() + bob.json.len() + bob.sse.len();
    assert!(encoded > 4 * 24 * 1024, "{encoded}");
    assert!(published.footprint() >= encoded + 4096);
}

#[test]
fn small_events_keep_the_ring_full_by_count() {
    let hub = Hub::new(0, 1 << 20);
    for id in 1..=5000 {
        hub.record(vec![private_message(id, "hi")]);
    }
    let (count, bytes) = hub.ring_size();
    assert_eq!(count, 4096);
    assert!(bytes < RING_BYTES);
    assert_eq!(hub.recent(ALICE, 904, 1).unwrap()[0].id, 905);
    assert!(hub.recent(ALICE, 903, 1).is_none());
}

/// A page served from the ring shows a message with the reactions it has
/// now, as one read from the database does: a reaction recorded after the
/// message sets them in the message's event (and in an edit's event).
#[test]
fn a_reaction_reaches_the_message_events_in_the_ring() {
    use agora_core::events::Change;
    use agora_core::records::Reaction;
    let hub = Hub::new(0, 1 << 20);
    let chat = EventChat::private(2, (ALICE, "alice".into()), (BOB, "bob".into()));
    let edited = match private_message(1, "hi!").body {
        EventBody::Message { message, .. } => message,
        _ => unreachable!(),
    };
    let reactions = vec![Reaction {
        emoji: "🎉".into(),
        count: 1,
        users: vec!["bob".into()],
    }];
    hub.record(vec![
        private_message(1, "hi"),
        private_message(2, "other"),
        Event {
            id: 3,
            body: EventBody::MessageChanged {
                chat: chat.clone(),
                change: Change::Edited,
                message: edited,
            },
        },
    ]);
    hub.record(vec![Event {
        id: 4,
        body: EventBody::Reaction {
            chat,
            message_id: 1,
            reactions: reactions.clone(),
        },
    }]);
    let page = hub.recent(BOB, 0, 10).expect("all in the ring");
    let shown: Vec<(EventId, Vec<Reaction>)> = page
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::Message { message, .. } | EventBody::MessageChanged { message, .. } => {
                Some((event.id, message.reactions.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        shown,
        vec![(1, reactions.clone()), (2, Vec::new()), (3, reactions)],
        "message 1's events show its reaction, message 2's none"
    );
}
