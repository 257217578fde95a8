//! `api::decode` on hand-built requests: routing, authentication, JSON and
//! field validation, each refusal with its exact status, `code` and `field`.

use crate::rules_support;

use agora_core::api;
use agora_core::command::{ChatRef, ChatType, Command};
use agora_core::config::Config;
use agora_core::http::{Request, Response, Version};
use agora_core::token::Token;
use rules_support::{assert_error, body};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn caller() -> agora_core::token::TokenHash {
    Token::from_hex(TOKEN.as_bytes()).unwrap().hash()
}

fn req(method: &str, target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Request {
    Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: Version::Http11,
        headers: headers.iter().copied().collect(),
        body: body.to_vec(),
    }
}

fn authed(method: &str, target: &str, body: &str) -> Request {
    let auth = format!("Bearer {TOKEN}");
    req(
        method,
        target,
        &[("Authorization", auth.as_bytes())],
        body.as_bytes(),
    )
}

fn decode(r: &Request) -> Result<Command, Response> {
    decode_with(r, &Config::default())
}

fn decode_with(r: &Request, config: &Config) -> Result<Command, Response> {
    api::decode(r, config, std::net::Ipv4Addr::LOCALHOST.into(), &mut || {
        Token([7; 16])
    })
}

#[track_caller]
fn refused(r: &Request) -> Response {
    match decode(r) {
        Err(response) => response,
        Ok(c) => panic!("accepted: {c:?}"),
    }
}

#[track_caller]
fn bad(path: &str, json: &str, code: &str, field: Option<&str>) {
    let method = if path == "/status" { "GET" } else { "POST" };
    assert_error(&refused(&authed(method, path, json)), 400, code, field);
}

// ---- routing ----

#[test]
fn routes_every_endpoint() {
    let t = Token([7; 16]);
    assert_eq!(
        decode(&req("POST", "/get-token", &[], br#"{"user_name":"alice"}"#)).unwrap(),
        Command::GetToken {
            user_name: "alice".into(),
            token: t,
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        }
    );
    assert_eq!(
        decode(&authed("GET", "/status?x=1", "")).unwrap(),
        Command::Status { caller: caller() }
    );
    assert_eq!(
        decode(&authed("POST", "/connect", "")).unwrap(),
        Command::Connect {
            caller: caller(),
            chat: ChatRef::Public,
            messages_number: 20
        }
    );
    assert_eq!(
        decode(&authed(
            "POST",
            "/send",
            r#"{"message":"hi","send_to":"Bob"}"#
        ))
        .unwrap(),
        Command::Send {
            caller: caller(),
            to: ChatRef::Private("Bob".into()),
            text: "hi".into()
        }
    );
    assert_eq!(
        decode(&authed(
            "POST",
            "/comment",
            r#"{"message_id":18,"comment":"+1"}"#
        ))
        .unwrap(),
        Command::Comment {
            caller: caller(),
            message_id: 18,
            text: "+1".into()
        }
    );
    assert_eq!(
        decode(&authed(
            "POST",
            "/report",
            r#"{"report_on":"bob","chat_type":"private"}"#
        ))
        .unwrap(),
        Command::Report {
            caller: caller(),
            target: "bob".into(),
            chat_type: ChatType::Private
        }
    );
}

#[test]
fn unknown_path_is_404_before_auth() {
    // `/` is the web page (`api::assets`): 405 for POST.
    for path in [
        "/index.html",
        "/nope",
        "/status/",
        "/STATUS",
        "/send/x",
        "//send",
    ] {
        assert_error(
            &refused(&req("POST", path, &[], b"")),
            404,
            "not_found",
            None,
        );
    }
}

#[test]
fn other_method_is_405_with_allow_before_auth_and_body() {
    for (method, path, allow) in [
        ("GET", "/send", "POST"),
        ("PUT", "/get-token", "POST"),
        ("DELETE", "/connect", "POST"),
        ("HEAD", "/status", "GET"),
        ("POST", "/status", "GET"),
        ("OPTIONS", "/report", "POST"),
        ("PATCH", "/comment", "POST"),
    ] {
        let r = refused(&req(method, path, &[], b"{not json"));
        assert_error(&r, 405, "method_not_allowed", None);
        assert_eq!(r.header("Allow"), Some(allow), "{method} {path}");
    }
}

/// API.md v2: any method, standard or not, is 405 on a known path and 404 on
/// an unknown one; never a 5xx, which tools count as a server fault.
#[test]
fn any_other_method_is_405_on_a_known_path_and_404_elsewhere() {
    for method in [
        "BREW", "QUERY", "get", "Post", "PROPFIND", "CONNECT", "TRACE",
    ] {
        for (path, allow) in [("/send", "POST"), ("/status", "GET")] {
            let r = refused(&authed(method, path, ""));
            assert_error(&r, 405, "method_not_allowed", None);
            assert_eq!(r.header("Allow"), Some(allow), "{method} {path}");
        }
        let r = refused(&authed(method, "/no-such-path", ""));
        assert_error(&r, 404, "not_found", None);
    }
}

// ---- authentication ----

#[track_caller]
fn unauthorized(r: &Request) {
    let resp = refused(r);
    assert_error(&resp, 401, "unauthorized", None);
    assert_eq!(resp.header("WWW-Authenticate"), Some("Bearer"));
}

#[test]
fn bearer_scheme_is_case_insensitive_and_spaces_are_flexible() {
    for value in [
        format!("Bearer {TOKEN}"),
        format!("bearer {TOKEN}"),
        format!("BEARER   {TOKEN}"),
        format!("  Bearer {TOKEN}  "),
    ] {
        let r = req(
            "GET",
            "/status",
            &[("authorization", value.as_bytes())],
            b"",
        );
        assert_eq!(
            decode(&r).unwrap(),
            Command::Status { caller: caller() },
            "{value}"
        );
    }
}

#[test]
fn bad_authorization_is_401() {
    unauthorized(&req("GET", "/status", &[], b""));
    for value in [
        "".to_owned(),
        TOKEN.to_owned(),
        format!("Basic {TOKEN}"),
        format!("Bearer{TOKEN}"),
        format!("Bearer {}", TOKEN.to_uppercase()),
        format!("Bearer {}", &TOKEN[1..]),
        format!("Bearer {TOKEN}0"),
        format!("Bearer {TOKEN} x"),
        format!("Bearer\t{TOKEN}"),
        "Bearer zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz".to_owned(),
    ] {
        unauthorized(&req(
            "GET",
            "/status",
            &[("Authorization", value.as_bytes())],
            b"",
        ));
    }
    let good = format!("Bearer {TOKEN}");
    let two = [
        ("Authorization", good.as_bytes()),
        ("Authorization", good.as_bytes()),
    ];
    unauthorized(&req("GET", "/status", &two, b""));
    unauthorized(&req(
        "POST",
        "/send",
        &[("Authorization", b"Bearer \xff\xfe")],
        b"",
    ));
}

#[test]
fn auth_comes_before_the_body() {
    unauthorized(&req("POST", "/send", &[], b"{broken"));
    unauthorized(&req("POST", "/connect", &[], b"[]"));
}

#[test]
fn get_token_ignores_authorization() {
    let r = req(
        "POST",
        "/get-token",
        &[("Authorization", b"Basic nope")],
        br#"{"user_name":"a"}"#,
    );
    assert!(matches!(decode(&r), Ok(Command::GetToken { .. })));
}

#[test]
fn status_ignores_its_body() {
    assert!(decode(&authed("GET", "/status", "{broken")).is_ok());
}

// ---- JSON ----

#[test]
fn empty_or_blank_body_is_an_empty_object() {
    for b in ["", "  \r\n\t", "{}", " { } "] {
        assert_eq!(
            decode(&authed("POST", "/connect", b)).unwrap(),
            Command::Connect {
                caller: caller(),
                chat: ChatRef::Public,
                messages_number: 20
            }
        );
    }
    // ... which lacks what /send needs.
    bad("/send", "", "missing_field", Some("message"));
}

#[test]
fn non_object_bodies_are_invalid_json() {
    for b in [
        "[]",
        "[1]",
        "\"x\"",
        "1",
        "null",
        "true",
        "{",
        "{}}",
        "{} {}",
        "{\"a\":}",
        "{'a':1}",
        "{\"a\":1,}",
        "nul",
    ] {
        bad("/connect", b, "invalid_json", None);
    }
    let r = refused(&authed("POST", "/connect", "[]"));
    assert!(body(&r)["error"].as_str().unwrap().contains("object"));
    let r = refused(&req("POST", "/get-token", &[], b"{\"user_name\":\"\xff\"}"));
    assert_error(&r, 400, "invalid_json", None);
}

#[test]
fn duplicate_keys_are_invalid_json() {
    bad(
        "/send",
        r#"{"message":"a","message":"b"}"#,
        "invalid_json",
        None,
    );
    bad(
        "/send",
        r#"{"message":"a","x":1,"x":2}"#,
        "invalid_json",
        None,
    );
    bad(
        "/send",
        r#"{"message":"a","\u0078":1,"x":2}"#,
        "invalid_json",
        None,
    );
}

#[test]
fn deep_nesting_does_not_crash() {
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    bad("/connect", &deep, "invalid_json", None);
    let inside = format!(r#"{{"zzz":{deep}}}"#);
    assert!(decode(&authed("POST", "/connect", &inside)).is_ok());
    let as_field = format!(r#"{{"chat_with":{deep}}}"#);
    bad("/connect", &as_field, "invalid_field", Some("chat_with"));
    let unclosed = format!(r#"{{"zzz":{}"#, "{\"a\":".repeat(30_000));
    bad("/connect", &unclosed, "invalid_json", None);
}

#[test]
fn unknown_fields_are_ignored_and_null_is_absent() {
    assert_eq!(
        decode(&authed(
            "POST",
            "/connect",
            r#"{"x":[1,{"y":null}],"chat_with":null,"messages_number":null}"#
        ))
        .unwrap(),
        Command::Connect {
            caller: caller(),
            chat: ChatRef::Public,
            messages_number: 20
        }
    );
    bad(
        "/send",
        r#"{"message":null}"#,
        "missing_field",
        Some("message"),
    );
}

// ---- fields ----

#[test]
fn user_name_rules() {
    let ok = |name: &str| {
        let json = serde_json::json!({ "user_name": name }).to_string();
        decode(&req("POST", "/get-token", &[], json.as_bytes()))
    };
    for name in [
        "a",
        "Alice_1.2-3",
        &"x".repeat(32),
        "public_chat2",
        "PUBLIC.CHAT",
    ] {
        assert!(ok(name).is_ok(), "{name}");
    }
    for name in [
        "",
        &"x".repeat(33),
        "a b",
        "ä",
        "a/b",
        "public_chat",
        "Public_Chat",
        "a\n",
    ] {
        assert_error(
            &ok(name).unwrap_err(),
            400,
            "invalid_user_name",
            Some("user_name"),
        );
    }
    let r = refused(&req("POST", "/get-token", &[], b"{}"));
    assert_error(&r, 400, "missing_field", Some("user_name"));
    let r = refused(&req("POST", "/get-token", &[], br#"{"user_name":5}"#));
    assert_error(&r, 400, "invalid_field", Some("user_name"));
    let r = refused(&req("POST", "/get-token", &[], br#"{"user_name":["a"]}"#));
    assert_error(&r, 400, "invalid_field", Some("user_name"));
}

/// (issue 25) `#` then 1 to 32 of `[A-Za-z0-9_.-]`; `GET /rooms?q=` looks
/// for a prefix of such a name (or none).
#[test]
fn room_name_rules() {
    let create = |room: &str| {
        let json = serde_json::json!({ "room": room }).to_string();
        decode(&authed("POST", "/rooms", &json))
    };
    let longest = format!("#{}", "x".repeat(32));
    for room in ["#a", "#Design_1.2-3", &longest] {
        assert!(create(room).is_ok(), "{room}");
        assert!(api::is_room_name_prefix(room), "{room}");
    }
    let too_long = format!("{longest}x");
    for room in ["", "#", "design", "#a b", "#é", "#a/b", "#a#", &too_long] {
        let refused = create(room).unwrap_err();
        assert_error(&refused, 400, "invalid_room_name", Some("room"));
    }
    assert!(api::is_room_name_prefix("") && api::is_room_name_prefix("#"));
    for prefix in ["d", "#a b", "#é", "#a\0", &too_long] {
        assert!(!api::is_room_name_prefix(prefix), "{prefix:?}");
    }
}

#[test]
fn get_token_draws_a_token_only_when_valid() {
    let mut drawn = 0;
    let config = Config::default();
    let mut fresh = || {
        drawn += 1;
        Token([1; 16])
    };
    let _ = api::decode(
        &req("POST", "/get-token", &[], b"{}"),
        &config,
        std::net::Ipv4Addr::LOCALHOST.into(),
        &mut fresh,
    );
    let _ = api::decode(
        &req("GET", "/get-token", &[], b"{}"),
        &config,
        std::net::Ipv4Addr::LOCALHOST.into(),
        &mut fresh,
    );
    let _ = api::decode(
        &req("POST", "/get-token", &[], br#"{"user_name":"a"}"#),
        &config,
        std::net::Ipv4Addr::LOCALHOST.into(),
        &mut fresh,
    );
    assert_eq!(drawn, 1);
}

#[test]
fn chat_references() {
    let chat = |json: &str| match decode(&authed("POST", "/connect", json)) {
        Ok(Command::Connect { chat, .. }) => Ok(chat),
        Ok(other) => panic!("{other:?}"),
        Err(r) => Err(r),
    };
    assert_eq!(
        chat(r#"{"chat_with":"public_chat"}"#).unwrap(),
        ChatRef::Public
    );
    assert_eq!(
        chat(r#"{"chat_with":"PUBLIC_Chat"}"#).unwrap(),
        ChatRef::Public
    );
    assert_eq!(
        chat(r#"{"chat_with":"bob"}"#).unwrap(),
        ChatRef::Private("bob".into())
    );
    assert_error(
        &chat(r#"{"chat_with":"b o b"}"#).unwrap_err(),
        400,
        "invalid_user_name",
        Some("chat_with"),
    );
    assert_error(
        &chat(r#"{"chat_with":""}"#).unwrap_err(),
        400,
        "invalid_user_name",
        Some("chat_with"),
    );
    assert_error(
        &chat(r#"{"chat_with":7}"#).unwrap_err(),
        400,
        "invalid_field",
        Some("chat_with"),
    );
    bad(
        "/send",
        r#"{"message":"x","send_to":"no way"}"#,
        "invalid_user_name",
        Some("send_to"),
    );
    bad(
        "/send",
        r#"{"message":"x","send_to":false}"#,
        "invalid_field",
        Some("send_to"),
    );
}

#[test]
fn messages_number_range() {
    let n = |json: &str, config: &Config| match decode_with(
        &authed("POST", "/connect", json),
        config,
    ) {
        Ok(Command::Connect {
            messages_number, ..
        }) => Ok(messages_number),
        Ok(other) => panic!("{other:?}"),
        Err(r) => Err(r),
    };
    let c = Config::default();
    assert_eq!(n(r#"{"messages_number":1}"#, &c).unwrap(), 1);
    assert_eq!(n(r#"{"messages_number":100}"#, &c).unwrap(), 100);
    // JSON has one kind of number: an integral value is an integer however
    // it is written (JSON Schema's `integer` too, so OpenAPI clients send
    // `2.0`; schemathesis did).
    for (v, expected) in [("2.0", 2), ("1e1", 10), ("1.00e2", 100), ("0.5e1", 5)] {
        let json = format!(r#"{{"messages_number":{v}}}"#);
        assert_eq!(n(&json, &c).unwrap(), expected, "{v}");
    }
    // Out of range, or not an integer.
    let out_of_range = [
        "0",
        "101",
        "-1",
        "99999999999999999999999",
        "1e3",
        "1e400",
        "0.0",
    ]
    .map(|v| (v, "invalid_messages_number"));
    let not_integers =
        ["1.5", "1e-1", "10.01e1", "\"5\"", "[5]", "true"].map(|v| (v, "invalid_field"));
    for (v, code) in out_of_range.into_iter().chain(not_integers) {
        let json = format!(r#"{{"messages_number":{v}}}"#);
        assert_error(
            &n(&json, &c).unwrap_err(),
            400,
            code,
            Some("messages_number"),
        );
    }
    let small = Config {
        history_default: 3,
        history_max: 5,
        ..Config::default()
    };
    assert_eq!(n("{}", &small).unwrap(), 3);
    assert!(n(r#"{"messages_number":6}"#, &small).is_err());
}

#[test]
fn texts() {
    let config = Config {
        max_text_chars: 5,
        ..Config::default()
    };
    let send = |text: &str| {
        let json = serde_json::json!({ "message": text }).to_string();
        decode_with(&authed("POST", "/send", &json), &config)
    };
    for text in ["x", "ééééé", " a ", "🎉🎉🎉🎉🎉"] {
        assert!(send(text).is_ok(), "{text}");
    }
    for text in ["", " ", "\n\t \u{3000}", "abcdef", "ééééééé"] {
        assert_error(
            &send(text).unwrap_err(),
            400,
            "invalid_text",
            Some("message"),
        );
    }
    bad(
        "/send",
        r#"{"message":1}"#,
        "invalid_field",
        Some("message"),
    );
    bad(
        "/comment",
        r#"{"message_id":1,"comment":"  "}"#,
        "invalid_text",
        Some("comment"),
    );
    bad(
        "/comment",
        r#"{"message_id":1}"#,
        "missing_field",
        Some("comment"),
    );
    bad(
        "/comment",
        r#"{"message_id":1,"comment":{}}"#,
        "invalid_field",
        Some("comment"),
    );
}

#[test]
fn message_ids() {
    bad(
        "/comment",
        r#"{"comment":"x"}"#,
        "missing_field",
        Some("message_id"),
    );
    for v in ["0", "-3", "1.5", "\"1\"", "99999999999999999999"] {
        let json = format!(r#"{{"message_id":{v},"comment":"x"}}"#);
        bad("/comment", &json, "invalid_field", Some("message_id"));
    }
}

#[test]
fn reports() {
    assert!(matches!(
        decode(&authed("POST", "/report", r#"{"report_on":"bob"}"#)),
        Ok(Command::Report {
            chat_type: ChatType::Public,
            ..
        })
    ));
    bad("/report", "{}", "missing_field", Some("report_on"));
    bad(
        "/report",
        r#"{"report_on":"public_chat"}"#,
        "invalid_user_name",
        Some("report_on"),
    );
    bad(
        "/report",
        r#"{"report_on":"bob","chat_type":"group"}"#,
        "invalid_chat_type",
        Some("chat_type"),
    );
    bad(
        "/report",
        r#"{"report_on":"bob","chat_type":"Private"}"#,
        "invalid_chat_type",
        Some("chat_type"),
    );
    bad(
        "/report",
        r#"{"report_on":"bob","chat_type":1}"#,
        "invalid_field",
        Some("chat_type"),
    );
}

#[test]
fn extreme_limits_do_not_overflow() {
    let config = Config {
        max_text_chars: usize::MAX,
        history_max: u32::MAX,
        ..Config::default()
    };
    let r = authed("POST", "/send", r#"{"message":"hello"}"#);
    assert!(decode_with(&r, &config).is_ok());
    let r = authed("POST", "/connect", r#"{"messages_number":4294967295}"#);
    assert!(matches!(
        decode_with(&r, &config),
        Ok(Command::Connect {
            messages_number: u32::MAX,
            ..
        })
    ));
}

#[test]
fn comments_take_their_parameters_from_the_query() {
    let get = |target: &str| decode(&authed("GET", target, "ignored body"));
    assert_eq!(
        get("/comments?message_id=17").unwrap(),
        Command::Comments {
            caller: caller(),
            message_id: 17,
            before: None,
            limit: 20,
        }
    );
    // An integral number is an integer however written, as in bodies (an
    // OpenAPI client sent `message_id=1.0`).
    assert_eq!(
        get("/comments?message_id=17.0&limit=2e1&before=9.00").unwrap(),
        Command::Comments {
            caller: caller(),
            message_id: 17,
            before: Some(9),
            limit: 20,
        }
    );
    assert_eq!(
        get("/comments?limit=100&before=9&message_id=17&").unwrap(),
        Command::Comments {
            caller: caller(),
            message_id: 17,
            before: Some(9),
            limit: 100,
        }
    );
    let config = Config {
        comments_per_message: 5,
        ..Config::default()
    };
    let with_config = decode_with(&authed("GET", "/comments?message_id=1", ""), &config);
    assert!(matches!(
        with_config,
        Ok(Command::Comments { limit: 5, .. })
    ));
    // The token is checked before the query.
    let anonymous = refused(&req("GET", "/comments?bad=1", &[], b""));
    assert_eq!(anonymous.status, 401);
}

// ---- query parameters ----

/// Query parameters refused, from every endpoint that reads its query: 400
/// with this `code` and `field` (the token being valid). One case a line.
#[rustfmt::skip]
const BAD_QUERIES: &[(&str, &str, &str)] = &[
    ("/comments", "missing_field", "message_id"),
    ("/comments?message_id=", "invalid_field", "message_id"),
    ("/comments?message_id=+1", "invalid_field", "message_id"),
    ("/comments?message_id=1.5", "invalid_field", "message_id"),
    ("/comments?message_id=1e-1", "invalid_field", "message_id"),
    ("/comments?message_id=1&limit=2.5", "invalid_field", "limit"),
    ("/comments?message_id=99999999999999999999", "invalid_field", "message_id"),
    ("/comments?message_id=1&before=0", "invalid_field", "before"),
    ("/comments?message_id=1&limit=", "invalid_field", "limit"),
    ("/comments?message_id=1&limit=101", "invalid_limit", "limit"),
    ("/comments?message_id=1&limit=-1", "invalid_limit", "limit"),
    ("/comments?message_id=1&x=1", "invalid_query", "x"),
    ("/comments?message_id=1&limit=2&limit=2", "invalid_query", "limit"),
    ("/comments?message_id=%C3%28", "invalid_query", "message_id"),
    ("/events?since=1.5", "invalid_field", "since"),
    ("/events?since=1e-1", "invalid_field", "since"),
    ("/events?since=-1e0", "invalid_since", "since"),
    ("/events?since=1e99", "invalid_since", "since"),
    ("/events?since=0&timeout=1.5", "invalid_field", "timeout"),
    ("/events?since=0&timeout=1.21e2", "invalid_timeout", "timeout"),
    ("/events?since=0&timeout=x", "invalid_field", "timeout"),
];

#[test]
fn bad_query_parameters_are_400_with_their_code_and_field() {
    let mut failures = Vec::new();
    for &(target, code, field) in BAD_QUERIES {
        let response = refused(&authed("GET", target, ""));
        let b = body(&response);
        let worded = b["error"].as_str().is_some_and(|e| !e.is_empty());
        if response.status != 400 || b["code"] != code || b["field"] != field || !worded {
            failures.push(format!(
                "{target}: {} {b}, expected 400 {code} {field}",
                response.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn routes_without_parameters_ignore_the_query() {
    assert_eq!(
        decode(&authed("GET", "/status?pad=aaaa&pad=b", "")).unwrap(),
        Command::Status { caller: caller() }
    );
}

#[test]
fn health_needs_no_token_and_ignores_query_and_body() {
    for r in [
        req("GET", "/health", &[], b""),
        req("GET", "/health?probe=1", &[], b"not json"),
        authed("GET", "/health", ""),
    ] {
        assert_eq!(decode(&r), Ok(Command::Health));
        assert_eq!(api::precheck(&r), None);
    }
    let post = refused(&req("POST", "/health", &[], b""));
    assert_eq!(post.status, 405);
    assert_eq!(post.header("Allow"), Some("GET"));
}

#[test]
fn a_message_id_written_with_a_fraction_or_exponent_is_still_an_integer() {
    let id = |v: &str| match decode(&authed(
        "POST",
        "/comment",
        &format!(r#"{{"message_id":{v},"comment":"+1"}}"#),
    )) {
        Ok(Command::Comment { message_id, .. }) => Ok(message_id),
        Ok(other) => panic!("{other:?}"),
        Err(r) => Err(r),
    };
    for (v, expected) in [
        ("9019.0", 9019),
        ("9.019e3", 9019),
        ("9019E0", 9019),
        ("90190e-1", 9019),
        ("9223372036854775807.000", i64::MAX),
    ] {
        assert_eq!(id(v).unwrap(), expected, "{v}");
    }
    for v in [
        "9019.5",
        "1e-3",
        "9223372036854775808",
        "1e19",
        "0e5",
        "-1.0",
    ] {
        assert_error(
            &id(v).unwrap_err(),
            400,
            "invalid_field",
            Some("message_id"),
        );
    }
}

// ---- GET /events: one rule for integral numbers; Accept negotiated ----

fn events(target: &str, headers: &[(&str, &[u8])]) -> Result<Command, Response> {
    let auth = format!("Bearer {TOKEN}");
    let mut all = vec![("Authorization", auth.as_bytes())];
    all.extend_from_slice(headers);
    decode(&req("GET", target, &all, b""))
}

#[test]
fn event_numbers_are_integral_numbers_however_written() {
    use agora_core::command::EventsWait;
    for (target, since, timeout) in [
        ("/events?since=1000&timeout=5", 1000, 5),
        ("/events?since=1e3&timeout=5.0", 1000, 5),
        ("/events?since=1000.000&timeout=0.5e1", 1000, 5),
        ("/events?since=1.0E3&timeout=5e0", 1000, 5),
        ("/events?since=0.0&timeout=0", 0, 0),
    ] {
        assert_eq!(
            events(target, &[]).unwrap(),
            Command::Events {
                caller: caller(),
                since: Some(since),
                wait: EventsWait::Poll {
                    timeout_secs: timeout
                },
            },
            "{target}"
        );
    }
    let stream = events(
        "/events",
        &[
            ("Accept", b"text/event-stream"),
            ("Last-Event-ID", b"4.2e1"),
        ],
    );
    assert!(
        matches!(
            stream,
            Ok(Command::Events {
                since: Some(42),
                ..
            })
        ),
        "{stream:?}"
    );
}

#[test]
fn accept_with_quality_zero_is_not_a_stream_request() {
    use agora_core::command::EventsWait;
    let wait = |accept: &[u8]| match events("/events?since=0", &[("Accept", accept)]) {
        Ok(Command::Events { wait, .. }) => wait,
        other => panic!("{other:?}"),
    };
    assert_eq!(wait(b"text/event-stream"), EventsWait::Stream);
    assert_eq!(
        wait(b"text/event-stream;q=0.2, */*;q=0.1"),
        EventsWait::Stream
    );
    for not_a_stream in [
        &b"text/event-stream;q=0"[..],
        b"text/event-stream; q=0.0, application/json",
        b"*/*",
        b"text/*",
        b"application/json, text/event-stream;q=0.5",
    ] {
        assert!(
            matches!(wait(not_a_stream), EventsWait::Poll { .. }),
            "{}",
            String::from_utf8_lossy(not_a_stream)
        );
    }
}

/// The bounded query integers (`timeout` of `/events`, `limit` of
/// `/comments`) say what they take, in words, when refused.
#[test]
fn bounded_query_integers_say_what_they_take() {
    for (target, code, message) in [
        (
            "/events?since=0&timeout=121",
            "invalid_timeout",
            "`timeout` must be whole seconds from 0 to 120",
        ),
        (
            "/events?since=0&timeout=x",
            "invalid_field",
            "the field `timeout` must be whole seconds (an integer)",
        ),
        (
            "/comments?message_id=1&limit=0",
            "invalid_limit",
            "`limit` must be an integer from 1 to 100",
        ),
        (
            "/comments?message_id=1&limit=x",
            "invalid_field",
            "the field `limit` must be an integer",
        ),
    ] {
        let response = refused(&authed("GET", target, ""));
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(response.status, 400, "{target}");
        assert_eq!(body["code"], code, "{target}");
        assert_eq!(body["error"], message, "{target}");
    }
}
