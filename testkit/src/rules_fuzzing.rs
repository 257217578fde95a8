//! The rules' checking harnesses for the fuzz targets (`fuzz/`), kept here so
//! that they are one-liners there and so that
//! `core/tests/integration/rules_fuzz_replay.rs` replays their corpora on
//! stable. Each panics only when a promise of API.md breaks.
//!
//! Inputs are plain bytes read by tiny decoders written here rather than
//! through the `arbitrary` crate: the formats fit in a few lines, no
//! dependency is added, and a corpus file stays meaningful if a type changes.

mod spec;

use crate::model::Model;
use agora_core::accounts::AccountCommand;
use agora_core::api;
use agora_core::command::{ChatRef, ChatType, Command, Outcome, Target};
use agora_core::config::Config;
use agora_core::http::{Request, Response, Version};
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use spec::{token, Spec, NAMES, TOKENS};

/// The client address of every request here.
const LOOPBACK: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// Small limits, so that short inputs reach every bound.
fn small_config() -> Config {
    Config {
        history_default: 2,
        history_max: 5,
        quota: 3,
        quota_window_ms: 5_000,
        ban_threshold: 2,
        ban_ms: 10_000,
        max_text_chars: 8,
        unread_max: 3,
        comment_quota: 2,
        comments_per_message: 2,
        // The seed's rules: the spec models neither (rules tests cover them).
        register_rate: 0,
        reporter_min_age_ms: 0,
        ..Config::default()
    }
}

/// Reads `data` as 3-byte operations `[kind, a, b]` among four users and six
/// tokens, applies them to a fresh [`Model`] and checks every outcome against
/// independent bookkeeping of API.md's rules (registration, quota windows,
/// cautions and bans, read positions, comment visibility); every response
/// must be a 2xx/4xx JSON object of the documented shape. At the end every
/// member drains its chats and must have been handed each message of others
/// as unread exactly once, in id order.
///
/// Operations (`kind % 15`): 0 `GetToken` of `NAMES[a % 4]` (upper case if
/// `a & 4`) with token `b % 6`; 1 `Connect`, 2 `Status`, 3 `Send`, 4
/// `Comment`, 5 `Report`, 8 `Comments` by token `a % 6`, naming user `b % 4`
/// (upper case if `b & 16`), a private chat if `b & 8`, `messages_number`
/// `(b >> 5) % 5 + 1`, `chat_type` private if `b & 32`, `message_id`
/// `b % 32 + 1`, `before` `a / 8 % 8` (none if 0), `limit` `a / 64 + 1`; 6
/// and 7 move the clock `a * b * 10` ms on; (issue 26) 9 `Edit`, 10 `Delete`
/// of message `b % 32 + 1`, 11 `React` to it with emoji `b >> 5 & 1`,
/// removing if `b & 64`; (issue 25) 12 a room
/// command (`room_command`), 13 `Send` and 14 `Connect` to a room (`room_name`).
pub fn command_sequence(data: &[u8]) {
    let config = small_config();
    let mut model = Model::new(UnixMillis(0));
    let mut spec = Spec::new(config.clone());
    let mut now = UnixMillis(0);
    for op in data.chunks_exact(3) {
        let (kind, a, b) = (op[0], op[1], op[2]);
        let t = usize::from(a) % TOKENS;
        let caller = token(t).hash();
        let target = cased(NAMES[usize::from(b % 4)], b & 16 != 0);
        let chat = if b & 8 == 0 {
            ChatRef::Public
        } else {
            ChatRef::Private(target.clone())
        };
        let (t, command) = match kind % 15 {
            0 => {
                let t = usize::from(b) % TOKENS;
                let user_name = cased(NAMES[usize::from(a % 4)], a & 4 != 0);
                let token = token(t);
                (
                    t,
                    Command::GetToken {
                        user_name,
                        token,
                        client: LOOPBACK,
                    },
                )
            }
            1 => {
                let messages_number = u32::from(b >> 5) % 5 + 1;
                (
                    t,
                    Command::Connect {
                        caller,
                        chat,
                        messages_number,
                    },
                )
            }
            2 => (t, Command::Status { caller }),
            3 => (
                t,
                Command::Send {
                    caller,
                    to: chat,
                    text: "m".into(),
                },
            ),
            4 => {
                let message_id = i64::from(b % 32) + 1;
                (
                    t,
                    Command::Comment {
                        caller,
                        message_id,
                        text: "c".into(),
                    },
                )
            }
            5 => {
                let chat_type = if b & 32 == 0 {
                    ChatType::Public
                } else {
                    ChatType::Private
                };
                (
                    t,
                    Command::Report {
                        caller,
                        target,
                        chat_type,
                    },
                )
            }
            8 => {
                let before = i64::from(a / 8 % 8);
                (
                    t,
                    Command::Comments {
                        caller,
                        message_id: i64::from(b % 32) + 1,
                        before: (before > 0).then_some(before),
                        limit: u32::from(a / 64) + 1,
                    },
                )
            }
            // (issue 26)
            9 => (
                t,
                Command::Edit {
                    caller,
                    target: Target::Message(i64::from(b % 32) + 1),
                    text: "e".into(),
                },
            ),
            10 => (
                t,
                Command::Delete {
                    caller,
                    target: Target::Message(i64::from(b % 32) + 1),
                },
            ),
            11 => (
                t,
                Command::React {
                    caller,
                    message_id: i64::from(b % 32) + 1,
                    emoji: spec::EMOJI[usize::from(b >> 5 & 1)].into(),
                    remove: b & 64 != 0,
                },
            ),
            // (issue 25) rooms: `ROOMS[(b >> 2) % 2]` in upper case if `b & 64`.
            12 => (t, room_command(caller, b)),
            13 => (
                t,
                Command::Send {
                    caller,
                    to: ChatRef::Room(room_name(b)),
                    text: "r".into(),
                },
            ),
            14 => (
                t,
                Command::Connect {
                    caller,
                    chat: ChatRef::Room(room_name(b)),
                    messages_number: u32::from(b >> 5) % 5 + 1,
                },
            ),
            _ => {
                now = now.plus_ms(u64::from(a) * u64::from(b) * 10);
                continue;
            }
        };
        let outcome = run(&command, &mut model, now, &config);
        spec.check(t, &command, &outcome, now);
    }
    // Drain every chat of every user: whatever is left unread comes now.
    for (_, t, chats) in spec.members() {
        for chat in chats {
            let command = Command::Connect {
                caller: token(t).hash(),
                chat,
                messages_number: 1,
            };
            // Each round hands out `unread_max` messages, so this many rounds
            // are always enough.
            for _ in 0..=data.len() / 3 / config.unread_max as usize + 1 {
                let outcome = run(&command, &mut model, now, &config);
                spec.check(t, &command, &outcome, now);
                if let Outcome::Connected {
                    unread_truncated: false,
                    ..
                } = outcome
                {
                    break;
                }
            }
        }
    }
    spec.check_exactly_once();
}

/// (issue 25) The room an operation's `b` names.
fn room_name(b: u8) -> String {
    cased(spec::ROOMS[usize::from(b >> 2) % 2], b & 64 != 0)
}

/// (issue 25) `b % 4`: 0 create (private if `b & 16`), 1 join, 2 leave, 3
/// invite `NAMES[(b >> 4) % 4]`.
fn room_command(caller: agora_core::token::TokenHash, b: u8) -> Command {
    let room = room_name(b);
    match b % 4 {
        0 => Command::CreateRoom {
            caller,
            room,
            public: b & 16 == 0,
            topic: String::new(),
        },
        1 => Command::Join { caller, room },
        2 => Command::Leave { caller, room },
        _ => Command::Invite {
            caller,
            room,
            user_name: NAMES[usize::from(b >> 4) % 4].to_owned(),
        },
    }
}

fn cased(name: &str, upper: bool) -> String {
    if upper {
        name.to_uppercase()
    } else {
        name.to_owned()
    }
}

/// Applies and encodes one command; the model never fails and every response
/// is well formed.
fn run(command: &Command, model: &mut Model, now: UnixMillis, config: &Config) -> Outcome {
    let outcome =
        agora_core::rules::apply(command, model, now, config).expect("the model never fails");
    let response = api::encode(&outcome);
    check_response(&response);
    if let Outcome::QuotaExceeded { until, now }
    | Outcome::CommentQuotaExceeded { until, now }
    | Outcome::Banned { until, now } = outcome
    {
        let retry_after: i64 = response
            .header("Retry-After")
            .and_then(|v| v.parse().ok())
            .expect("a Retry-After in seconds");
        assert!(
            now.0 + retry_after * 1000 >= until.0,
            "retrying after it is refused again"
        );
        assert!(
            now.0 + (retry_after - 1) * 1000 < until.0,
            "Retry-After is rounded up, not more"
        );
    }
    outcome
}

/// API.md's shape of every response: 2xx or 4xx (whatever the method), a
/// JSON object, errors with string `error` and `code` (and
/// `field` a string when present), rule refusals as warnings with a matching
/// `Retry-After`, 401 with `WWW-Authenticate: Bearer`, 405 with `Allow`.
fn check_response(response: &Response) {
    let status = response.status;
    let value: serde_json::Value =
        serde_json::from_slice(&response.body).expect("every body is JSON");
    let body = value.as_object().expect("every body is a JSON object");
    let code = body.get("code").and_then(|c| c.as_str());
    match status {
        200..=299 => assert!(!body.contains_key("error") && code.is_none(), "{value}"),
        400..=499 => {}
        _ => panic!("status {status}: {value}"),
    }
    if status < 400 {
        return;
    }
    assert!(code.is_some_and(|c| !c.is_empty()), "{value}");
    if let Some(warning) = body.get("warning") {
        assert!(
            warning.is_string() && matches!(status, 403 | 429),
            "{value}"
        );
        let retry_after = body["retry_after"].as_u64().expect("retry_after seconds");
        assert_eq!(
            response.header("Retry-After"),
            Some(retry_after.to_string().as_str())
        );
    } else {
        assert!(body.get("error").is_some_and(|e| e.is_string()), "{value}");
        assert!(body.get("field").is_none_or(|f| f.is_string()), "{value}");
    }
    if status == 401 {
        assert_eq!(response.header("WWW-Authenticate"), Some("Bearer"));
    }
    if status == 405 {
        assert!(response.header("Allow").is_some(), "405 without Allow");
    }
}

const METHODS: [&str; 8] = [
    "POST", "GET", "PUT", "HEAD", "DELETE", "OPTIONS", "post", "BREW",
];
const TARGETS: [&str; 49] = [
    "/get-token",
    "/connect",
    "/status",
    "/send",
    "/comment",
    "/report",
    "/send?send_to=Bob",
    "/status?",
    "/nope",
    "/",
    "*",
    "/connect/",
    "/Send",
    "//send",
    "/report#x",
    "",
    "/comments?message_id=1",
    "/comments?message_id=1&before=2&limit=1",
    "/comments?message_id=x&limit=0",
    "/comments?message_id=1&message_id=1",
    "/events",
    "/events?since=0&timeout=0",
    "/events?since=99&timeout=121",
    "/read",
    // Issue 25: history and people.
    "/messages?chat=public_chat",
    "/messages?chat=bob&before=2&limit=1",
    "/messages?chat=ann&limit=0&before=x",
    "/users",
    "/users?q=B&after=ann&limit=1",
    "/users?q=%C3%A9&limit=101",
    // (issue 25) rooms.
    "/rooms",
    "/rooms?q=%23De",
    "/join",
    "/leave",
    "/invite",
    // (issue 26)
    "/edit",
    "/delete",
    "/react",
    // (issue 28) accounts and devices.
    "/login",
    "/password",
    "/sessions",
    "/logout",
    // (issue 27)
    "/search?q=deplo",
    "/search?q=caf%C3%A9+Deplo&chat=Bob&limit=3&before=9",
    "/search?q=%21%3F&limit=101",
    "/search?q=x&chat=public_chat&q=y",
    "/search?q=deplo&chat=%23DEV",
    "/search?q=x&chat=%23hush",
    "/search?q=x&chat=%23no%20such",
];
/// Tokens of the seeded users: ann (quota used up), Bob, cy (banned).
const ANN: Token = Token([1; 16]);
const BOB: Token = Token([2; 16]);
const CY: Token = Token([3; 16]);

/// A model where ann has used up its public quota and has a private chat
/// with Bob, and cy is banned; (issue 25) ann's public room `#dev` has Bob
/// in it, Bob's private `#hush` only Bob.
fn seeded_model(config: &Config) -> Model {
    let mut model = Model::new(UnixMillis(0));
    let (ann, bob) = (ANN.hash(), BOB.hash());
    let public = |caller| Command::Send {
        caller,
        to: ChatRef::Public,
        text: "hi".into(),
    };
    let report = |caller| Command::Report {
        caller,
        target: "cy".into(),
        chat_type: ChatType::Public,
    };
    let commands = [
        Command::GetToken {
            user_name: "ann".into(),
            token: ANN,
            client: LOOPBACK,
        },
        Command::GetToken {
            user_name: "Bob".into(),
            token: BOB,
            client: LOOPBACK,
        },
        Command::GetToken {
            user_name: "cy".into(),
            token: CY,
            client: LOOPBACK,
        },
        public(ann),
        public(ann),
        public(ann),
        Command::Send {
            caller: ann,
            to: ChatRef::Private("bob".into()),
            text: "psst".into(),
        },
        Command::Comment {
            caller: bob,
            message_id: 1,
            text: "+1".into(),
        },
        report(ann),
        report(bob),
        // (issue 25) ann's public #dev (Bob in it), Bob's private #hush.
        Command::CreateRoom {
            caller: ann,
            room: "#dev".into(),
            public: true,
            topic: "builds".into(),
        },
        Command::Join {
            caller: bob,
            room: "#DEV".into(),
        },
        Command::CreateRoom {
            caller: bob,
            room: "#Hush".into(),
            public: false,
            topic: String::new(),
        },
        Command::Send {
            caller: bob,
            to: ChatRef::Room("#hush".into()),
            text: "shh".into(),
        },
    ];
    for command in &commands {
        let outcome = agora_core::rules::apply(command, &mut model, UnixMillis(0), config);
        assert!(
            !matches!(outcome, Ok(Outcome::Failed(_)) | Err(_)),
            "{outcome:?}"
        );
    }
    model
}

/// Reads `data` as a request and decodes it; a decoded command is applied to
/// a [seeded model](seeded_model) and its outcome encoded. Every response,
/// from the codec or the rules, must be a 2xx/4xx of API.md's shape (a 500 is
/// a bug), decoding must be deterministic, and a command only comes from its
/// own method and path.
///
/// Layout: byte 0 picks the method, byte 1 the target, byte 2 the
/// `Authorization` fields (`& 7`: 0 none, 1 ann's token, 2 Bob's with odd
/// spacing and scheme case, 3 cy's, 4 an unknown token, 5 the raw bytes up to
/// the first `\n` of the rest, 6 ann's and that raw value as two fields, 7 an
/// upper-case token; `& 8` writes the field name in lower case). The rest (after
/// that first line for 5 and 6) is the body.
pub fn decode_request(data: &[u8]) {
    let [m, t, h, rest @ ..] = data else {
        return;
    };
    let method = METHODS[usize::from(*m) % METHODS.len()];
    let target = TARGETS[usize::from(*t) % TARGETS.len()];
    let bearer = |token: Token| format!("Bearer {}", token.to_hex()).into_bytes();
    let (line, after_line) = match rest.iter().position(|&c| c == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let (auth, body): (Vec<Vec<u8>>, &[u8]) = match h & 7 {
        0 => (vec![], rest),
        1 => (vec![bearer(ANN)], rest),
        2 => (
            vec![format!("  bEaReR   {} ", BOB.to_hex()).into_bytes()],
            rest,
        ),
        3 => (vec![bearer(CY)], rest),
        4 => (vec![bearer(Token([7; 16]))], rest),
        5 => (vec![line.to_vec()], after_line),
        6 => (vec![bearer(ANN), line.to_vec()], after_line),
        _ => (vec![bearer(Token([0xab; 16])).to_ascii_uppercase()], rest),
    };
    let name = if h & 8 == 0 {
        "Authorization"
    } else {
        "authorization"
    };
    let request = Request {
        method: method.into(),
        target: target.into(),
        version: Version::Http11,
        headers: auth.into_iter().map(|v| (name.to_owned(), v)).collect(),
        body: body.to_vec(),
    };
    let config = small_config();
    let fresh = || Token([9; 16]);
    let decoded = api::decode(&request, &config, LOOPBACK, &mut fresh.clone());
    assert_eq!(
        decoded,
        api::decode(&request, &config, LOOPBACK, &mut fresh.clone())
    );
    // What the head alone refuses (before a 100 Continue), decoding refuses alike.
    if let Some(refusal) = api::precheck(&request) {
        assert_eq!(decoded, Err(refusal));
    }
    let response = match decoded {
        Err(response) => response,
        Ok(mut command) => {
            let route = match &command {
                Command::GetToken { .. } => ("POST", "/get-token"),
                Command::Connect { .. } => ("POST", "/connect"),
                Command::Status { .. } => ("GET", "/status"),
                Command::Send { .. } => ("POST", "/send"),
                Command::Comment { .. } => ("POST", "/comment"),
                Command::Report { .. } => ("POST", "/report"),
                Command::Comments { .. } => ("GET", "/comments"),
                Command::Events { .. } => ("GET", "/events"),
                Command::Read { .. } => ("POST", "/read"),
                Command::Unban { .. } => ("POST", "/unban"),
                Command::Health => ("GET", "/health"),
                Command::Messages { .. } => ("GET", "/messages"),
                Command::Users { .. } => ("GET", "/users"),
                // (issue 25) rooms.
                Command::Rooms { .. } => ("GET", "/rooms"),
                Command::CreateRoom { .. } => ("POST", "/rooms"),
                Command::Join { .. } => ("POST", "/join"),
                Command::Leave { .. } => ("POST", "/leave"),
                Command::Invite { .. } => ("POST", "/invite"),
                Command::Edit { .. } => ("POST", "/edit"),
                Command::Delete { .. } => ("POST", "/delete"),
                Command::React { .. } => ("POST", "/react"),
                Command::Account(account) => match account.as_ref() {
                    AccountCommand::Login { .. } => ("POST", "/login"),
                    AccountCommand::SetPassword { .. } => ("POST", "/password"),
                    AccountCommand::Sessions { .. } => ("GET", "/sessions"),
                    AccountCommand::Logout { .. } => ("POST", "/logout"),
                    AccountCommand::Touch { .. } => unreachable!("never decoded"),
                },
                Command::Search { .. } => ("GET", "/search"),
            };
            assert_eq!(route, (method, request.path()), "{command:?}");
            let mut model = seeded_model(&config);
            crate::model::prepare_account(&mut model, &mut command);
            let outcome =
                agora_core::rules::apply(&command, &mut model, UnixMillis(1_000), &config)
                    .expect("the model never fails");
            api::encode(&outcome)
        }
    };
    // The web client's files are a page, scripts and a style sheet, not JSON.
    if let Some(Ok(file)) = api::assets::route(&request) {
        assert_eq!((response.status, &response.body[..]), (200, file.bytes));
        return;
    }
    check_response(&response);
    // No token or one not in lower-case hex: 401 wherever a token is needed,
    // whatever the body. (An unknown token is the rules' to find, after the
    // body was decoded: a bad body then gets its 400 first.)
    let route = api::Route::of_path(request.path());
    if let Some(route) = route.filter(|r| r.needs_auth() && r.method() == method) {
        if matches!(h & 7, 0 | 7) {
            assert_eq!(response.status, 401, "{route:?}");
        }
    }
}
