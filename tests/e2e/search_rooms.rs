//! (issues 25 and 27) `GET /search` meets rooms: a room is searched by its
//! members only. An invitation is not membership; a private room answers
//! `chat=` from anyone who may not see it exactly as a room that does not
//! exist; a public room's outsider is 403 `not_a_member`; a member who
//! leaves finds nothing from the room any more, neither what was said
//! before leaving nor after (as `GET /messages` refuses a non-member), and
//! finds all of it again on joining back. Results name the room as created.

use crate::harness::{Client, Runtime};
use crate::steps::{
    create_room, invite, join, leave, result_ids, send_public, send_room, server_with_users,
};
use serde_json::{json, Value};

per_runtime!(
    a_private_room_is_searched_by_its_members_only,
    a_public_room_is_searched_by_its_members_only,
    a_room_message_is_found_by_its_current_words_only,
);

/// `GET /search?q=WORD` (and `&chat=CHAT`, percent-encoded by the caller).
fn search(c: &mut Client, token: &str, q: &str, chat: Option<&str>) -> Value {
    let mut target = format!("/search?q={q}&limit=100");
    if let Some(chat) = chat {
        target.push_str(&format!("&chat={chat}"));
    }
    c.get(&target, Some(token)).expect(200)
}

fn found(c: &mut Client, token: &str, q: &str) -> Vec<i64> {
    result_ids(&search(c, token, q, None))
}

fn found_in(c: &mut Client, token: &str, q: &str, chat: &str) -> Vec<i64> {
    result_ids(&search(c, token, q, Some(chat)))
}

/// A refusal's status and exact body bytes, to compare two answers.
fn refusal(c: &mut Client, token: &str, target: &str) -> (u16, Vec<u8>) {
    let reply = c.get(target, Some(token));
    (reply.status, reply.body)
}

fn a_private_room_is_searched_by_its_members_only(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol, dan]) =
        server_with_users(rt, ["alice", "bob", "carol", "dan"]);
    create_room(&mut c, &alice, "#Design", "private");
    invite(&mut c, &alice, "#design", "bob");
    join(&mut c, &bob, "#DESIGN");
    // carol is invited but does not join: not a member.
    invite(&mut c, &alice, "#design", "carol");
    let public = send_public(&mut c, &alice, "blueprint for everyone");
    let secret = send_room(&mut c, &alice, "#design", "blueprint v2 with the mockups");

    // Its members find it, named as created, however `chat=` spells it.
    for member in [&alice, &bob] {
        assert_eq!(found(&mut c, member, "blueprint"), [secret, public]);
        assert_eq!(found(&mut c, member, "mockup"), [secret]);
        assert_eq!(found_in(&mut c, member, "blueprint", "%23design"), [secret]);
        assert_eq!(found_in(&mut c, member, "blueprint", "%23DESIGN"), [secret]);
        assert_eq!(
            found_in(&mut c, member, "blueprint", "public_chat"),
            [public]
        );
    }
    let page = search(&mut c, &bob, "blueprint", Some("%23design"));
    assert_eq!(page["results"][0]["chat_type"], "room");
    assert_eq!(page["results"][0]["chat"], "#Design");
    assert_eq!(
        page["results"][0]["message"]["message_text"],
        "blueprint v2 with the mockups"
    );
    let page = search(&mut c, &bob, "blueprint", None);
    assert_eq!(page["results"][0]["chat"], "#Design");
    assert_eq!(page["results"][1]["chat_type"], "public");

    // Invited and outsider alike find nothing from it.
    for other in [&carol, &dan] {
        assert_eq!(found(&mut c, other, "blueprint"), [public]);
        assert_eq!(found(&mut c, other, "mockups"), Vec::<i64>::new());
    }
    // `chat=` the private room: to an outsider, exactly no such room; to
    // the invited, 403 as for every other read of a room it has not joined.
    let hidden = refusal(&mut c, &dan, "/search?q=blueprint&chat=%23design");
    let missing = refusal(&mut c, &dan, "/search?q=blueprint&chat=%23nothing");
    assert_eq!(hidden, missing);
    c.get("/search?q=blueprint&chat=%23design", Some(&dan))
        .expect_error(404, "room_not_found");
    c.get("/search?q=blueprint&chat=%23design", Some(&carol))
        .expect_error(403, "not_a_member");
    let bad = c
        .get("/search?q=blueprint&chat=%23no%20such", Some(&bob))
        .expect_error(400, "invalid_room_name");
    assert_eq!(bad["field"], "chat");

    // Having joined, carol finds what was said before she came.
    join(&mut c, &carol, "#design");
    assert_eq!(found(&mut c, &carol, "mockups"), [secret]);

    // bob leaves: nothing from the room, old or new; the room is as
    // hidden from him now as from dan.
    leave(&mut c, &bob, "#design");
    let after = send_room(&mut c, &alice, "#design", "mockups round two");
    assert_eq!(found(&mut c, &bob, "mockups"), Vec::<i64>::new());
    assert_eq!(found(&mut c, &bob, "blueprint"), [public]);
    assert_eq!(found(&mut c, &carol, "mockups"), [after, secret]);
    let left = refusal(&mut c, &bob, "/search?q=mockups&chat=%23design");
    let missing = refusal(&mut c, &bob, "/search?q=mockups&chat=%23nothing");
    assert_eq!(left, missing);
    assert_eq!(left.0, 404);
}

fn a_public_room_is_searched_by_its_members_only(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    create_room(&mut c, &alice, "#Ops", "public");
    let before = send_room(&mut c, &alice, "#ops", "rollback the canary");

    // An outsider of a public room: nothing from it, 403 when named.
    assert_eq!(found(&mut c, &bob, "rollback"), Vec::<i64>::new());
    c.get("/search?q=rollback&chat=%23ops", Some(&bob))
        .expect_error(403, "not_a_member");
    c.get("/search?q=rollback&chat=%23nothing", Some(&bob))
        .expect_error(404, "room_not_found");

    // A member finds the room's messages, those from before joining too.
    join(&mut c, &bob, "#ops");
    assert_eq!(found(&mut c, &bob, "rollback"), [before]);
    let page = search(&mut c, &bob, "canary", Some("%23OPS"));
    assert_eq!(page["results"][0]["chat_type"], "room");
    assert_eq!(page["results"][0]["chat"], "#Ops");

    // Having left: nothing new, and nothing from before either.
    leave(&mut c, &bob, "#ops");
    let after = send_room(&mut c, &alice, "#ops", "rollback done");
    assert_eq!(found(&mut c, &bob, "rollback"), Vec::<i64>::new());
    c.get("/search?q=rollback&chat=%23ops", Some(&bob))
        .expect_error(403, "not_a_member");
    assert_eq!(found(&mut c, &alice, "rollback"), [after, before]);

    // Back in, all of it again.
    join(&mut c, &bob, "#ops");
    assert_eq!(found(&mut c, &bob, "rollback"), [after, before]);
}

fn a_room_message_is_found_by_its_current_words_only(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    create_room(&mut c, &alice, "#plans", "private");
    invite(&mut c, &alice, "#plans", "bob");
    join(&mut c, &bob, "#plans");
    let edited = send_room(&mut c, &alice, "#plans", "quarterly numbers draft");
    let deleted = send_room(&mut c, &alice, "#plans", "obsolete roadmap");
    assert_eq!(found(&mut c, &bob, "quarterly"), [edited]);
    assert_eq!(found(&mut c, &bob, "roadmap"), [deleted]);

    c.post(
        "/edit",
        Some(&alice),
        json!({"message_id": edited, "message": "annual figures final"}),
    )
    .expect(200);
    c.post("/delete", Some(&alice), json!({"message_id": deleted}))
        .expect(200);
    for q in ["quarterly", "numbers", "obsolete", "roadmap", "roadm"] {
        assert_eq!(found(&mut c, &bob, q), Vec::<i64>::new(), "{q}");
        assert_eq!(
            found_in(&mut c, &bob, q, "%23plans"),
            Vec::<i64>::new(),
            "{q}"
        );
    }
    assert_eq!(
        found_in(&mut c, &bob, "annual%20figu", "%23plans"),
        [edited]
    );
    let page = search(&mut c, &alice, "final", None);
    assert_eq!(
        page["results"][0]["message"]["message_text"],
        "annual figures final"
    );
}
