//! (issue 25) Rooms: creating, listing, joining, leaving and inviting;
//! rooms in `/send`, `/connect`, `/read`, `/comment`, `GET /comments`,
//! `/report`, `/status` and the event feed; the public quota they share with
//! the public chat; a private room that does not exist for anyone outside
//! it, in every endpoint.

use crate::harness::{Client, Reply, Runtime};
use crate::steps::{
    comment, connect_to, events_since, field_strings, head, ids, invite, join, leave, read_up_to,
    send_public, send_room, server_with_flags_and_users, server_with_users, status_chat,
};
use serde_json::{json, Value};

per_runtime!(
    rooms_are_created_listed_joined_and_left,
    a_private_room_is_answered_like_no_room_outside_it,
    public_rooms_share_the_public_quota,
    member_events_reach_members_and_the_user_named,
    a_new_member_starts_caught_up_and_reads_like_any_chat,
    comments_and_reports_in_rooms_are_for_members,
);

fn create(c: &mut Client, token: &str, body: Value) -> Reply {
    c.post("/rooms", Some(token), body)
}

fn rooms(c: &mut Client, token: &str, query: &str) -> Value {
    c.get(&format!("/rooms{query}"), Some(token)).expect(200)
}

/// `POST /send` of `text` to `room`, answered as it may be (a refusal).
fn room_send(c: &mut Client, token: &str, room: &str, text: &str) -> Reply {
    c.post(
        "/send",
        Some(token),
        json!({"message": text, "send_to": room}),
    )
}

/// The room names of a `GET /rooms` list, in order.
fn names(list: &Value) -> Vec<String> {
    field_strings(&list["rooms"], "room")
}

fn rooms_are_created_listed_joined_and_left(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);

    let made = create(
        &mut c,
        &alice,
        json!({"room": "#Design", "topic": "pixels"}),
    )
    .expect(201);
    assert_eq!(made, json!({"info": "room created", "room": "#Design"}));
    create(&mut c, &bob, json!({"room": "#design"})).expect_error(409, "room_exists");
    for bad in ["design", "#", "#a b", "#é", &format!("#{}", "x".repeat(33))] {
        create(&mut c, &bob, json!({"room": bad})).expect_error(400, "invalid_room_name");
    }
    let long_topic = "t".repeat(257);
    create(&mut c, &bob, json!({"room": "#t", "topic": long_topic})).expect(400);
    create(&mut c, &bob, json!({"room": "#t", "visibility": "secret"})).expect(400);
    create(
        &mut c,
        &bob,
        json!({"room": "#dev", "visibility": "public"}),
    )
    .expect(201);
    // Two methods on one path: anything else is 405 naming both.
    let put = c.request("PUT", "/rooms", Some(&bob), None);
    put.expect_error(405, "method_not_allowed");
    assert_eq!(put.header("Allow"), Some("GET, POST"));

    // Listed by name, any case for the prefix, with counts and membership.
    let list = rooms(&mut c, &bob, "");
    assert_eq!(names(&list), ["#Design", "#dev"]);
    assert_eq!(list["truncated"], false);
    let design = &list["rooms"][0];
    assert_eq!(design["visibility"], "public");
    assert_eq!(design["topic"], "pixels");
    assert_eq!(design["members_number"], 1);
    assert_eq!(design["membership"], Value::Null);
    assert_eq!(list["rooms"][1]["membership"], "member");
    assert_eq!(names(&rooms(&mut c, &bob, "?q=%23DES")), ["#Design"]);
    assert_eq!(names(&rooms(&mut c, &bob, "?q=%23x")), Vec::<String>::new());
    // A prefix no room name can start with finds nothing (a NUL, which
    // PostgreSQL's text cannot hold, no `#`, over 33 characters).
    for q in [
        "%00",
        "%23de%00",
        "de",
        "%23%C3%A9",
        &format!("%23{}", "d".repeat(33)),
    ] {
        assert_eq!(
            names(&rooms(&mut c, &bob, &format!("?q={q}"))),
            Vec::<String>::new(),
            "{q}"
        );
    }

    // Joined in any case, answered as created; again: still 200.
    let joined = c
        .post("/join", Some(&bob), json!({"room": "#DESIGN"}))
        .expect(200);
    assert_eq!(joined, json!({"info": "joined", "room": "#Design"}));
    join(&mut c, &bob, "#design");
    assert_eq!(
        rooms(&mut c, &bob, "?q=%23de")["rooms"][0]["members_number"],
        2
    );

    // A room among the chats of /status, after the public chat.
    send_room(&mut c, &alice, "#design", "hello room");
    let status = c.get("/status", Some(&bob)).expect(200);
    let chats = status["chats"].as_array().unwrap();
    assert_eq!(chats[0]["chat_type"], "public");
    let room = chats
        .iter()
        .find(|chat| chat["chat_type"] == "room" && chat["name"] == "#Design")
        .expect("the room in /status");
    assert_eq!(room["unread"], 1);
    assert_eq!(room["users_number"], 2);

    let left = c
        .post("/leave", Some(&bob), json!({"room": "#design"}))
        .expect(200);
    assert_eq!(left, json!({"info": "left", "room": "#Design"}));
    c.post("/leave", Some(&bob), json!({"room": "#design"}))
        .expect_error(409, "not_a_member");
    room_send(&mut c, &bob, "#design", "x").expect_error(403, "not_a_member");
    // A room outlives its members.
    leave(&mut c, &alice, "#design");
    assert_eq!(names(&rooms(&mut c, &bob, "?q=%23design")), ["#Design"]);
    join(&mut c, &bob, "#design");
    c.post("/join", Some(&bob), json!({"room": "#nosuch"}))
        .expect_error(404, "room_not_found");
}

/// A request's status and body, for comparing answers byte for byte.
fn answer(reply: Reply) -> (u16, Value) {
    (reply.status, reply.json())
}

fn a_private_room_is_answered_like_no_room_outside_it(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    let carol_since = head(&mut c, &carol);
    create(
        &mut c,
        &alice,
        json!({"room": "#secret", "visibility": "private"}),
    )
    .expect(201);
    invite(&mut c, &alice, "#secret", "bob");
    join(&mut c, &bob, "#secret");
    let message = send_room(&mut c, &alice, "#secret", "between us");
    comment(&mut c, &bob, message, "indeed").expect(201);

    // Each endpoint answers carol about #secret exactly as about a room
    // that does not exist (and a message of it as a message that does not).
    let missing_message = message + 1000;
    let mut ask = |room: &str, message: i64| {
        vec![
            answer(c.post("/join", Some(&carol), json!({"room": room}))),
            answer(c.post("/leave", Some(&carol), json!({"room": room}))),
            answer(c.post(
                "/invite",
                Some(&carol),
                json!({"room": room, "user_name": "alice"}),
            )),
            answer(c.post(
                "/send",
                Some(&carol),
                json!({"message": "hi", "send_to": room}),
            )),
            answer(c.post("/connect", Some(&carol), json!({"chat_with": room}))),
            answer(c.post(
                "/read",
                Some(&carol),
                json!({"chat_with": room, "up_to": message}),
            )),
            answer(comment(&mut c, &carol, message, "peek")),
            answer(c.get(&format!("/comments?message_id={message}"), Some(&carol))),
            answer(c.post(
                "/report",
                Some(&carol),
                json!({"report_on": "alice", "chat_type": "room", "room": room}),
            )),
        ]
    };
    let secret = ask("#secret", message);
    let nothing = ask("#nothing", missing_message);
    assert_eq!(secret, nothing);
    assert_eq!(secret[0].0, 404);
    assert_eq!(secret[0].1["code"], "room_not_found");
    assert_eq!(secret[6].1["code"], "message_not_found");
    assert_eq!(secret[8].1["code"], "no_shared_chat");
    // Not listed, not counted, and no event of it reaches carol.
    assert_eq!(names(&rooms(&mut c, &carol, "")), Vec::<String>::new());
    assert_eq!(
        events_since(&mut c, &carol, carol_since, 0),
        Vec::<Value>::new()
    );
    let status = c.get("/status", Some(&carol)).expect(200);
    assert_eq!(status["chats"].as_array().unwrap().len(), 1);

    // Invited, carol sees it (and only then).
    invite(&mut c, &bob, "#SECRET", "Carol");
    let list = rooms(&mut c, &carol, "");
    assert_eq!(names(&list), ["#secret"]);
    assert_eq!(list["rooms"][0]["membership"], "invited");
    assert_eq!(list["rooms"][0]["visibility"], "private");
    let events = events_since(&mut c, &carol, carol_since, 0);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "member");
    assert_eq!(events[0]["action"], "invited");
    // Invited is not a member: 403 now, not 404.
    room_send(&mut c, &carol, "#secret", "hi").expect_error(403, "not_a_member");
    join(&mut c, &carol, "#secret");
    assert_eq!(
        c.post("/connect", Some(&carol), json!({"chat_with": "#secret"}))
            .expect(200)["chat"],
        "#secret"
    );
}

fn public_rooms_share_the_public_quota(rt: Runtime) {
    let (_server, mut c, [alice]) = server_with_flags_and_users(rt, &["--quota", "3"], ["alice"]);
    create(&mut c, &alice, json!({"room": "#open"})).expect(201);
    create(
        &mut c,
        &alice,
        json!({"room": "#closed", "visibility": "private"}),
    )
    .expect(201);
    send_public(&mut c, &alice, "one");
    send_room(&mut c, &alice, "#open", "two");
    send_public(&mut c, &alice, "three");
    room_send(&mut c, &alice, "#open", "four").expect_error(429, "quota_exceeded");
    c.post("/send", Some(&alice), json!({"message": "four"}))
        .expect_error(429, "quota_exceeded");
    // A private room does not count, and is not counted against.
    for i in 0..5 {
        send_room(&mut c, &alice, "#closed", &format!("p{i}"));
    }
    let status = c.get("/status", Some(&alice)).expect(200);
    assert_eq!(status["public_messages_left"], 0);
}

fn member_events_reach_members_and_the_user_named(rt: Runtime) {
    let (server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    create(&mut c, &alice, json!({"room": "#Ops"})).expect(201);
    let [a0, b0, c0] = [&alice, &bob, &carol].map(|t| head(&mut c, t));

    invite(&mut c, &alice, "#ops", "BOB");
    join(&mut c, &bob, "#ops");
    let message = send_room(&mut c, &alice, "#ops", "deploy at noon");
    let kinds = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| match e["type"].as_str().unwrap() {
                "member" => format!("{} {}", e["user_name"].as_str().unwrap(), e["action"]),
                kind => kind.to_owned(),
            })
            .collect()
    };
    // bob, a member: told of his invitation, his join and the message.
    let to_bob = events_since(&mut c, &bob, b0, 0);
    assert_eq!(
        kinds(&to_bob),
        ["bob \"invited\"", "bob \"joined\"", "message"]
    );
    leave(&mut c, &bob, "#ops");
    send_room(&mut c, &alice, "#ops", "bob is gone");

    let to_alice = events_since(&mut c, &alice, a0, 0);
    assert_eq!(
        kinds(&to_alice),
        [
            "bob \"invited\"",
            "bob \"joined\"",
            "message",
            "bob \"left\"",
            "message"
        ]
    );
    for event in &to_alice {
        assert_eq!(event["chat_type"], "room");
        assert_eq!(event["chat"], "#Ops");
    }
    assert_eq!(to_alice[2]["message"]["id"], message);
    // Gone, bob is told of his leaving; a room's events reach its members
    // at the time they are read or delivered: no message of the room now.
    let to_bob = events_since(&mut c, &bob, b0, 0);
    assert_eq!(
        kinds(&to_bob),
        ["bob \"invited\"", "bob \"joined\"", "bob \"left\""]
    );
    // carol, in no room: nothing.
    assert_eq!(events_since(&mut c, &carol, c0, 0), Vec::<Value>::new());

    // Live: the long-poll of a member who just joined wakes for the room's
    // next message.
    let addr = server.addr;
    let carol_token = carol.clone();
    let since = head(&mut c, &carol);
    join(&mut c, &carol, "#ops");
    let joined_at = head(&mut c, &carol);
    let waiter = std::thread::spawn(move || {
        let mut c = Client::connect(addr);
        c.get(
            &format!("/events?since={joined_at}&timeout=5"),
            Some(&carol_token),
        )
        .expect(200)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    send_room(&mut c, &alice, "#ops", "welcome carol");
    let woke = waiter.join().unwrap();
    assert_eq!(
        woke["events"][0]["message"]["message_text"],
        "welcome carol"
    );
    assert_eq!(
        events_since(&mut c, &carol, since, 0)[0]["action"],
        "joined"
    );
}

fn a_new_member_starts_caught_up_and_reads_like_any_chat(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    create(&mut c, &alice, json!({"room": "#history"})).expect(201);
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(send_room(&mut c, &alice, "#history", &format!("old {i}")));
    }
    join(&mut c, &bob, "#history");
    let page = connect_to(&mut c, &bob, "#HISTORY", 3);
    assert_eq!(page["chat"], "#history");
    let ids = ids(&page["messages"]);
    assert_eq!(ids, sent[2..]);
    assert_eq!(page["unread_messages"], json!([]));

    // New messages are unread, and /read moves the position.
    let new = send_room(&mut c, &alice, "#history", "new");
    send_room(&mut c, &alice, "#history", "newer");
    let unread =
        |c: &mut Client| status_chat(c, &bob, "#history").expect("listed")["unread"].clone();
    assert_eq!(unread(&mut c), 2);
    let read = read_up_to(&mut c, &bob, "#history", new);
    assert_eq!(read["unread"], 1);
    assert_eq!(unread(&mut c), 1);
}

fn comments_and_reports_in_rooms_are_for_members(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) =
        server_with_flags_and_users(rt, &["--reporter-min-age", "0s"], ["alice", "bob", "carol"]);
    create(&mut c, &alice, json!({"room": "#team"})).expect(201);
    join(&mut c, &bob, "#team");
    let message = send_room(&mut c, &alice, "#team", "review please");
    comment(&mut c, &bob, message, "done").expect(201);
    let page = c
        .get(&format!("/comments?message_id={message}"), Some(&alice))
        .expect(200);
    assert_eq!(page["comments"][0]["comment_text"], "done");
    // carol may see the public room but is not in it.
    comment(&mut c, &carol, message, "me too").expect_error(403, "not_a_member");
    c.get(&format!("/comments?message_id={message}"), Some(&carol))
        .expect_error(403, "not_a_member");
    c.post("/connect", Some(&carol), json!({"chat_with": "#team"}))
        .expect_error(403, "not_a_member");

    let report = |c: &mut Client, by: &str, on: &str| {
        c.post(
            "/report",
            Some(by),
            json!({"report_on": on, "chat_type": "room", "room": "#team"}),
        )
    };
    report(&mut c, &carol, "alice").expect_error(403, "no_shared_chat");
    report(&mut c, &alice, "carol").expect_error(403, "no_shared_chat");
    assert_eq!(report(&mut c, &alice, "bob").expect(201)["cautions"], 1);
    c.post(
        "/invite",
        Some(&carol),
        json!({"room": "#team", "user_name": "alice"}),
    )
    .expect_error(403, "not_a_member");
    c.post(
        "/invite",
        Some(&alice),
        json!({"room": "#team", "user_name": "bob"}),
    )
    .expect_error(409, "already_a_member");
    c.post(
        "/invite",
        Some(&alice),
        json!({"room": "#team", "user_name": "nobody"}),
    )
    .expect_error(404, "user_not_found");
}
