//! The ring of recent events: a page served from it hands out the ring's
//! own events (their encodings shared with the fan-out), and an edit,
//! deletion or reaction rewrites each older event about the same message
//! or comment as the database would rebuild it, and nothing else.

use super::hub::Hub;
use super::ring_rewrite::rewritten;
use agora_core::events::{Change, Event, EventBody, EventChat};
use agora_core::records::{Reaction, StoredComment, StoredMessage};
use agora_core::time::UnixMillis;
use std::sync::Arc;

fn message(id: i64, text: &str) -> StoredMessage {
    StoredMessage {
        id,
        author: "alice".into(),
        pub_date: UnixMillis(1),
        text: text.into(),
        comments_total: 2,
        ..StoredMessage::default()
    }
}

fn comment(id: i64, text: &str) -> StoredComment {
    StoredComment {
        id,
        author: "bob".into(),
        created: UnixMillis(2),
        text: text.into(),
        edited: None,
        deleted: false,
        deleted_by: None,
    }
}

fn new_message(id: i64, text: &str) -> EventBody {
    EventBody::Message {
        chat: EventChat::Public,
        message: message(id, text),
    }
}

fn message_changed(id: i64, text: &str, change: Change) -> EventBody {
    EventBody::MessageChanged {
        chat: EventChat::Public,
        change,
        message: message(id, text),
    }
}

fn new_comment(id: i64, text: &str) -> EventBody {
    EventBody::Comment {
        chat: EventChat::Public,
        message_id: 1,
        comment: comment(id, text),
    }
}

fn comment_changed(id: i64, text: &str, change: Change) -> EventBody {
    EventBody::CommentChanged {
        chat: EventChat::Public,
        change,
        message_id: 1,
        comment: comment(id, text),
    }
}

fn reaction(message_id: i64) -> EventBody {
    EventBody::Reaction {
        chat: EventChat::Public,
        message_id,
        reactions: reactions(),
    }
}

fn reactions() -> Vec<Reaction> {
    vec![Reaction {
        emoji: "👍".into(),
        count: 1,
        users: vec!["carol".into()],
    }]
}

#[test]
fn a_page_from_the_ring_hands_out_the_events_the_subscribers_got() {
    let hub = Hub::new(0, usize::MAX);
    let (subscription, _) = hub.subscribe(7);
    let events = (1..=3).map(|id| Event {
        id,
        body: new_message(id, "hi"),
    });
    let published = hub.record(events.collect());
    hub.fan_out(&published);
    let delivered = subscription.take(usize::MAX).events;
    let page = hub.recent(7, 0, 10).expect("in memory");
    assert_eq!(page.len(), 3);
    for ((paged, recorded), got) in page.iter().zip(&published).zip(&delivered) {
        // One event, one set of encodings, whoever reads it.
        assert!(Arc::ptr_eq(paged, recorded));
        assert!(Arc::ptr_eq(paged, got));
    }
}

#[test]
fn an_edit_rewrites_the_messages_events_as_the_database_rebuilds_them() {
    let edit = message_changed(1, "edited", Change::Edited);
    // A new message's event shows no comments.
    let Some(EventBody::Message { message: now, .. }) = rewritten(&new_message(1, "hi"), &edit)
    else {
        panic!("the message's event is rewritten");
    };
    assert_eq!((now.text.as_str(), now.comments_total), ("edited", 0));
    // An earlier edit's event shows the message as it is now, still as
    // the change it was.
    let deleted = message_changed(1, "", Change::Deleted);
    let earlier = message_changed(1, "edited", Change::Edited);
    assert_eq!(
        rewritten(&earlier, &deleted),
        Some(message_changed(1, "", Change::Edited))
    );
    // Another message's events stay.
    assert_eq!(rewritten(&new_message(2, "hi"), &edit), None);
    assert_eq!(rewritten(&new_comment(1, "hi"), &edit), None);
}

#[test]
fn a_reaction_sets_the_reactions_the_messages_events_show() {
    let with = |body: EventBody| match body {
        EventBody::Message { chat, mut message } => {
            message.reactions = reactions();
            EventBody::Message { chat, message }
        }
        EventBody::MessageChanged {
            chat,
            change,
            mut message,
        } => {
            message.reactions = reactions();
            EventBody::MessageChanged {
                chat,
                change,
                message,
            }
        }
        other => other,
    };
    let new = new_message(1, "hi");
    assert_eq!(rewritten(&new, &reaction(1)), Some(with(new.clone())));
    let edited = message_changed(1, "edited", Change::Edited);
    assert_eq!(rewritten(&edited, &reaction(1)), Some(with(edited.clone())));
    assert_eq!(rewritten(&new, &reaction(2)), None);
}

#[test]
fn a_comments_edit_rewrites_that_comments_events_only() {
    let deleted = comment_changed(5, "", Change::Deleted);
    assert_eq!(
        rewritten(&new_comment(5, "hi"), &deleted),
        Some(new_comment(5, ""))
    );
    assert_eq!(
        rewritten(&comment_changed(5, "edited", Change::Edited), &deleted),
        Some(comment_changed(5, "", Change::Edited))
    );
    assert_eq!(rewritten(&new_comment(6, "hi"), &deleted), None);
    assert_eq!(rewritten(&new_message(5, "hi"), &deleted), None);
    // A new message or comment changes no older event.
    assert_eq!(rewritten(&new_comment(5, "hi"), &new_comment(5, "x")), None);
}
