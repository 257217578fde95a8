//! (issue 25) Rooms against a specification, for random sequences of room
//! commands among a few users and rooms:
//!
//! - membership and invitations follow create, join, leave and invite as
//!   API.md says (joining a private room needs an invitation; a member who
//!   joins again changes nothing; leaving needs membership);
//! - a private room is invisible to anyone neither in it nor invited: every
//!   request naming it is answered exactly as one naming a room that does
//!   not exist, `GET /rooms` never lists it, and none of its events reach
//!   them;
//! - `GET /rooms` lists, by name, the public rooms and the private ones the
//!   caller is in or invited to, with its membership and the member count.

use agora_core::command::{ChatRef, ChatType, Command, Outcome};
use agora_core::config::Config;
use agora_core::events::EventBody;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::{Token, TokenHash};
use agora_core::view::{Membership, View};
use agora_testkit::model::Model;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const T0: i64 = 1_795_939_200_000;
const USERS: usize = 4;
/// Two names each: rooms match without case.
const ROOMS: [&str; 3] = ["#dev", "#ops", "#hush"];
/// The name no room ever has.
const NO_ROOM: &str = "#nowhere";

#[derive(Clone, Debug)]
enum Op {
    Create {
        user: usize,
        room: usize,
        public: bool,
    },
    Join {
        user: usize,
        room: usize,
    },
    Leave {
        user: usize,
        room: usize,
    },
    Invite {
        user: usize,
        room: usize,
        guest: usize,
    },
    Send {
        user: usize,
        room: usize,
    },
    /// Checks every user's view of every room.
    Look,
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS;
    let room = 0..ROOMS.len();
    prop_oneof![
        2 => (user.clone(), room.clone(), any::<bool>())
            .prop_map(|(user, room, public)| Op::Create { user, room, public }),
        4 => (user.clone(), room.clone()).prop_map(|(user, room)| Op::Join { user, room }),
        2 => (user.clone(), room.clone()).prop_map(|(user, room)| Op::Leave { user, room }),
        3 => (user.clone(), room.clone(), user.clone())
            .prop_map(|(user, room, guest)| Op::Invite { user, room, guest }),
        3 => (user, room).prop_map(|(user, room)| Op::Send { user, room }),
        2 => Just(Op::Look),
    ]
}

fn token(user: usize) -> TokenHash {
    Token([user as u8 + 1; 16]).hash()
}

fn name(user: usize) -> String {
    format!("u{user}")
}

/// A room's name as a client may write it: upper case half the time.
fn spelled(room: usize, upper: bool) -> String {
    if upper {
        ROOMS[room].to_uppercase()
    } else {
        ROOMS[room].to_owned()
    }
}

#[derive(Default)]
struct SpecRoom {
    public: bool,
    members: BTreeSet<usize>,
    invited: BTreeSet<usize>,
}

impl SpecRoom {
    fn sees(&self, user: usize) -> bool {
        self.public || self.members.contains(&user) || self.invited.contains(&user)
    }
}

struct World {
    model: Model,
    config: Config,
    now: UnixMillis,
}

impl World {
    fn apply(&mut self, command: &Command) -> Outcome {
        rules::apply(command, &mut self.model, self.now, &self.config).expect("the model")
    }

    /// The outcome of `command` on a copy: nothing it does stays.
    fn probe(&self, command: &Command) -> Outcome {
        let mut model = self.model.clone();
        rules::apply(command, &mut model, self.now, &self.config).expect("the model")
    }
}

/// The requests an outsider may make about a room named `room`.
fn probes(user: usize, room: &str) -> Vec<Command> {
    let caller = token(user);
    let chat = ChatRef::Room(room.to_owned());
    vec![
        Command::Join {
            caller,
            room: room.to_owned(),
        },
        Command::Leave {
            caller,
            room: room.to_owned(),
        },
        Command::Invite {
            caller,
            room: room.to_owned(),
            user_name: name((user + 1) % USERS),
        },
        Command::Send {
            caller,
            to: chat.clone(),
            text: "hi".into(),
        },
        Command::Connect {
            caller,
            chat: chat.clone(),
            messages_number: 5,
        },
        Command::Read {
            caller,
            chat,
            up_to: 1,
        },
        Command::Report {
            caller,
            target: name((user + 1) % USERS),
            chat_type: ChatType::Room(room.to_owned()),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rooms_follow_the_specification(ops in prop::collection::vec((op(), any::<bool>()), 1..60)) {
        let config = Config {
            quota: 1000,
            reporter_min_age_ms: 0,
            register_rate: 0,
            ..Config::default()
        };
        let mut w = World { model: Model::new(UnixMillis(T0)), config, now: UnixMillis(T0 + 1) };
        for user in 0..USERS {
            let issued = w.apply(&Command::GetToken {
                user_name: name(user),
                token: Token([user as u8 + 1; 16]),
                client: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            });
            prop_assert!(matches!(issued, Outcome::TokenIssued { .. }), "{issued:?}");
        }
        let mut spec: BTreeMap<usize, SpecRoom> = BTreeMap::new();
        for (op, upper) in ops {
            w.now = w.now.plus_ms(1);
            match op {
                Op::Create { user, room, public } => {
                    let outcome = w.apply(&Command::CreateRoom {
                        caller: token(user),
                        room: spelled(room, upper),
                        public,
                        topic: String::new(),
                    });
                    match spec.entry(room) {
                        std::collections::btree_map::Entry::Occupied(_) => {
                            prop_assert_eq!(outcome, Outcome::Failed(agora_core::command::Failure::RoomExists));
                        }
                        std::collections::btree_map::Entry::Vacant(slot) => {
                            prop_assert_eq!(outcome, Outcome::RoomCreated { room: spelled(room, upper) });
                            slot.insert(SpecRoom { public, members: BTreeSet::from([user]), ..SpecRoom::default() });
                        }
                    }
                }
                Op::Join { user, room } => {
                    let outcome = w.apply(&Command::Join { caller: token(user), room: spelled(room, upper) });
                    match spec.get_mut(&room) {
                        Some(r) if r.sees(user) => {
                            prop_assert!(matches!(outcome, Outcome::Joined { .. }), "{outcome:?}");
                            r.members.insert(user);
                            r.invited.remove(&user);
                        }
                        _ => prop_assert_eq!(outcome, Outcome::Failed(agora_core::command::Failure::RoomNotFound)),
                    }
                }
                Op::Leave { user, room } => {
                    let outcome = w.apply(&Command::Leave { caller: token(user), room: spelled(room, upper) });
                    match spec.get_mut(&room) {
                        Some(r) if r.members.contains(&user) => {
                            prop_assert!(matches!(outcome, Outcome::Left { .. }), "{outcome:?}");
                            r.members.remove(&user);
                        }
                        Some(r) if r.sees(user) => prop_assert_eq!(outcome, Outcome::Failed(agora_core::command::Failure::NotAMemberToLeave)),
                        _ => prop_assert_eq!(outcome, Outcome::Failed(agora_core::command::Failure::RoomNotFound)),
                    }
                }
                Op::Invite { user, room, guest } => {
                    let outcome = w.apply(&Command::Invite {
                        caller: token(user),
                        room: spelled(room, upper),
                        user_name: name(guest),
                    });
                    use agora_core::command::Failure::*;
                    match spec.get_mut(&room) {
                        None => prop_assert_eq!(outcome, Outcome::Failed(RoomNotFound)),
                        Some(r) if !r.sees(user) => prop_assert_eq!(outcome, Outcome::Failed(RoomNotFound)),
                        Some(r) if !r.members.contains(&user) => prop_assert_eq!(outcome, Outcome::Failed(NotAMember)),
                        Some(r) if r.members.contains(&guest) => prop_assert_eq!(outcome, Outcome::Failed(AlreadyAMember)),
                        Some(r) => {
                            prop_assert!(matches!(outcome, Outcome::Invited { .. }), "{outcome:?}");
                            r.invited.insert(guest);
                        }
                    }
                }
                Op::Send { user, room } => {
                    let outcome = w.apply(&Command::Send {
                        caller: token(user),
                        to: ChatRef::Room(spelled(room, upper)),
                        text: "hi".into(),
                    });
                    use agora_core::command::Failure::*;
                    match spec.get(&room) {
                        Some(r) if r.members.contains(&user) => prop_assert!(matches!(outcome, Outcome::MessageSent { .. }), "{outcome:?}"),
                        Some(r) if r.sees(user) => prop_assert_eq!(outcome, Outcome::Failed(NotAMember)),
                        _ => prop_assert_eq!(outcome, Outcome::Failed(RoomNotFound)),
                    }
                }
                Op::Look => {
                    for user in 0..USERS {
                        let Outcome::Rooms { rooms, truncated } = w.apply(&Command::Rooms { caller: token(user), prefix: String::new() }) else {
                            return Err(TestCaseError::fail("GET /rooms failed"));
                        };
                        prop_assert!(!truncated);
                        let listed: Vec<(String, Option<Membership>, u64)> = rooms
                            .iter()
                            .map(|l| (l.room.name.to_lowercase(), l.membership, l.room.members_number))
                            .collect();
                        let mut expected: Vec<(String, Option<Membership>, u64)> = spec
                            .iter()
                            .filter(|(_, r)| r.sees(user))
                            .map(|(&i, r)| {
                                let membership = if r.members.contains(&user) {
                                    Some(Membership::Member)
                                } else if r.invited.contains(&user) {
                                    Some(Membership::Invited)
                                } else {
                                    None
                                };
                                (ROOMS[i].to_owned(), membership, r.members.len() as u64)
                            })
                            .collect();
                        expected.sort_by(|a, b| a.0.cmp(&b.0));
                        prop_assert_eq!(listed, expected);

                        // Every room `user` may not see answers as no room.
                        for (&i, r) in &spec {
                            if r.sees(user) {
                                continue;
                            }
                            for (hidden, missing) in probes(user, &spelled(i, upper)).iter().zip(probes(user, NO_ROOM)) {
                                prop_assert_eq!(w.probe(hidden), w.probe(&missing), "{:?}", hidden);
                            }
                        }
                        // No event of a room it is not in reaches it (but
                        // the `member` events naming it).
                        let events = w.model.events_after(user as i64 + 1, 0, 10_000).expect("events");
                        for event in events {
                            let room = match &event.body {
                                EventBody::Message { chat, .. } | EventBody::Comment { chat, .. } => Some(chat.name_for(0).to_lowercase()),
                                EventBody::Member { room_name, user: named, .. } if *named != user as i64 + 1 => Some(room_name.to_lowercase()),
                                _ => None,
                            };
                            if let Some(room) = room.filter(|r| r.starts_with('#')) {
                                let i = ROOMS.iter().position(|r| *r == room).expect("a room of the test");
                                prop_assert!(spec[&i].members.contains(&user), "{} got {:?}", name(user), event);
                            }
                        }
                    }
                }
            }
        }
    }
}
