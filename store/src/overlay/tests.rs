//! The overlay over an in-memory backend ([`Db`]: the tables as plain
//! maps, loaded and flushed as `pg::batch_rows` does in SQL), checked
//! against the rules applied to `agora_testkit::model::Model` directly.

use super::*;
use agora_core::command::{ChatRef, ChatType, Command, Outcome};
use agora_core::config::Config;
use agora_core::events::EventBody;
use agora_core::rules::{self, Advance};
use agora_core::token::{Token, TokenHash};
use agora_core::view::PUBLIC_CHAT;
use agora_testkit::model::Model;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

const T0: UnixMillis = UnixMillis(1_700_000_000_000);

/// The tables, as the SQL schema has them.
struct Db {
    users: BTreeMap<UserId, (UserRow, String)>,
    chats: BTreeMap<ChatId, ChatRow>,
    members: BTreeMap<(ChatId, UserId), ReadPosition>,
    messages: BTreeMap<MessageId, MessageRow>,
    comments: Vec<NewComment>,
    reports: BTreeMap<(UserId, UserId), UnixMillis>,
    events: Vec<Event>,
    next: NextIds,
    loads: usize,
    flushes: usize,
}

impl Db {
    fn new() -> Db {
        let public = ChatRow {
            id: PUBLIC_CHAT,
            pair: None,
            created: T0,
            message_count: 0,
            member_count: 0,
            last_message: 0,
            room: None,
        };
        Db {
            users: BTreeMap::new(),
            chats: BTreeMap::from([(PUBLIC_CHAT, public)]),
            members: BTreeMap::new(),
            messages: BTreeMap::new(),
            comments: Vec::new(),
            reports: BTreeMap::new(),
            events: Vec::new(),
            next: NextIds {
                user: 1,
                chat: 2,
                message: 1,
                comment: 1,
                event: 1,
            },
            loads: 0,
            flushes: 0,
        }
    }

    fn user_where(&self, f: impl Fn(&UserRow) -> bool) -> Option<UserId> {
        self.users
            .values()
            .find(|(row, _)| f(row))
            .map(|(row, _)| row.user.id)
    }
}

impl BatchRows for Db {
    type Through<'a> = NoRangeReads;

    fn load(&mut self, needs: &Needs) -> ViewResult<Rows> {
        self.loads += 1;
        let mut users: Vec<UserId> = self
            .users
            .values()
            .filter(|(row, _)| {
                needs.tokens.contains(&row.token)
                    || needs.names.contains(&name_key(&row.user.name))
                    || needs.user_ids.contains(&row.user.id)
            })
            .map(|(row, _)| row.user.id)
            .collect();
        let devices: Vec<([u8; 32], UserId)> = self
            .users
            .values()
            .filter(|(row, _)| {
                needs.tokens.contains(&row.token)
                    || needs.token_pairs.iter().any(|(t, _)| *t == row.token)
            })
            .map(|(row, _)| (row.token, row.user.id))
            .collect();
        let mut pairs = needs.pairs.clone();
        for (token, name) in &needs.token_pairs {
            let a = self.user_where(|row| row.token == *token);
            let b = self.user_where(|row| name_key(&row.user.name) == *name);
            if let (Some(a), Some(b)) = (a, b) {
                pairs.push((a.min(b), a.max(b)));
            }
        }
        let messages: Vec<MessageRow> = needs
            .messages
            .iter()
            .filter_map(|id| self.messages.get(id).cloned())
            .collect();
        let chats: Vec<ChatRow> = self
            .chats
            .values()
            .filter(|c| {
                needs.chats.contains(&c.id)
                    || messages.iter().any(|m| m.chat == c.id)
                    || c.pair.is_some_and(|p| pairs.contains(&p))
            })
            .cloned()
            .collect();
        for chat in &chats {
            if let Some((a, b)) = chat.pair {
                users.extend([a, b]);
            }
        }
        users.sort_unstable();
        users.dedup();
        let members = self
            .members
            .iter()
            .filter(|(&(chat, user), _)| {
                needs.members.contains(&(chat, user))
                    || (chat == PUBLIC_CHAT && users.contains(&user))
                    || chats.iter().any(|c| c.id == chat && c.pair.is_some())
            })
            .map(|(&(chat, user), &position)| (chat, user, position))
            .collect();
        let targets: Vec<UserId> = needs
            .report_ids
            .iter()
            .copied()
            .chain(
                needs
                    .report_names
                    .iter()
                    .filter_map(|name| self.user_where(|row| name_key(&row.user.name) == *name)),
            )
            .collect();
        let reports = self
            .reports
            .iter()
            .filter(|((target, _), _)| targets.contains(target))
            .map(|(&(target, reporter), &created)| (target, reporter, created))
            .collect();
        let mut registrations = Vec::new();
        for origin in &needs.origins {
            let mut times: Vec<UnixMillis> = self
                .users
                .values()
                .filter(|(row, from)| {
                    from == origin && row.user.created >= needs.registrations_since
                })
                .map(|(row, _)| row.user.created)
                .collect();
            times.sort_unstable_by(|a, b| b.cmp(a));
            times.truncate(needs.registrations_limit as usize);
            registrations.extend(times.into_iter().map(|t| (origin.clone(), t)));
        }
        Ok(Rows {
            users: users.iter().map(|id| self.users[id].0.clone()).collect(),
            chats,
            members,
            messages,
            reports,
            registrations,
            next: needs.next_ids.then_some(self.next),
            devices,
            // (issue 25) No rooms in these tests.
            invites: Vec::new(),
        })
    }

    fn flush(&mut self, e: &Effects) -> ViewResult<()> {
        self.flushes += 1;
        let fail = |what: &str| Err(StoreError(format!("flush: {what}")));
        for user in &e.new_users {
            let id = user.row.user.id;
            if self
                .users
                .insert(id, (user.row.clone(), user.origin.clone()))
                .is_some()
            {
                return fail("user inserted twice");
            }
        }
        for user in &e.changed_users {
            match self.users.get_mut(&user.id) {
                Some((row, _)) => row.user = user.clone(),
                None => return fail("update of a missing user"),
            }
        }
        for chat in &e.new_chats {
            if self.chats.insert(chat.id, chat.clone()).is_some() {
                return fail("chat inserted twice");
            }
        }
        for chat in &e.changed_chats {
            if self.chats.insert(chat.id, chat.clone()).is_none() {
                return fail("update of a missing chat");
            }
        }
        for &(chat, user, position) in &e.new_members {
            if self.members.insert((chat, user), position).is_some() {
                return fail("member inserted twice");
            }
        }
        for &(chat, user, position) in &e.changed_members {
            if self.members.insert((chat, user), position).is_none() {
                return fail("update of a missing member");
            }
        }
        for message in &e.new_messages {
            if self
                .messages
                .insert(message.row.id, message.row.clone())
                .is_some()
            {
                return fail("message inserted twice");
            }
        }
        for message in &e.changed_messages {
            if self.messages.insert(message.id, message.clone()).is_none() {
                return fail("update of a missing message");
            }
        }
        self.comments.extend(e.new_comments.iter().cloned());
        self.reports
            .retain(|(target, _), _| !e.report_targets.contains(target));
        for &(target, reporter, created) in &e.reports {
            self.reports.insert((target, reporter), created);
        }
        self.events.extend(e.new_events.iter().cloned());
        if let Some(last) = e.last_ids {
            // `setval` of the sequences named (0: not named).
            let moved = |next: &mut i64, last: i64| {
                if last > 0 {
                    *next = last + 1;
                }
            };
            moved(&mut self.next.user, last.user);
            moved(&mut self.next.chat, last.chat);
            moved(&mut self.next.message, last.message);
            moved(&mut self.next.comment, last.comment);
            moved(&mut self.next.event, last.event);
        }
        Ok(())
    }

    fn through(&mut self) -> NoRangeReads {
        NoRangeReads
    }
}

/// The range reads these tests never make.
struct NoRangeReads;

impl NoRangeReads {
    /// The forwarding macros' `via`: every call refused, none made.
    fn refuse<T>(&mut self, _call: impl FnOnce(&mut Self) -> ViewResult<T>) -> ViewResult<T> {
        Err(StoreError("not in this test".into()))
    }
}

impl agora_core::accounts::Accounts for NoRangeReads {
    crate::forward::forward_accounts!(all refuse);
}

impl View for NoRangeReads {
    crate::forward::forward_view!(all refuse);
}

impl KeyLog for NoRangeReads {
    crate::forward::forward_key_log!(all refuse);
}

fn config() -> Config {
    Config {
        ban_threshold: 2,
        register_rate: 3,
        reporter_min_age_ms: 0,
        quota: 4,
        comment_quota: 3,
        moderators: vec!["u0".into()],
        ..Config::default()
    }
}

fn token(user: usize) -> Token {
    Token([user as u8 + 1; 16])
}

fn caller(user: usize) -> TokenHash {
    token(user).hash()
}

fn name(user: usize) -> String {
    // Case differs from the registered name half the time: names compare
    // without it.
    if user % 2 == 0 {
        format!("u{user}")
    } else {
        format!("U{user}")
    }
}

/// One request of the generated sequences.
#[derive(Clone, Debug)]
enum Op {
    Register(usize, u8),
    SendPublic(usize),
    SendPrivate(usize, usize),
    Comment(usize, MessageId),
    Report(usize, usize, bool),
    Unban(usize, usize),
    Advance(usize, MessageId),
}

enum Job {
    Command(Command),
    Advance(Advance),
}

/// `op` as the store would get it; `ids` maps users to the ids the model
/// gave them (an `Advance` names a user by id).
fn job(op: &Op, ids: &BTreeMap<usize, UserId>) -> Option<Job> {
    let text = || "hi".to_owned();
    Some(Job::Command(match *op {
        Op::Register(user, address) => Command::GetToken {
            user_name: format!("u{user}"),
            token: token(user),
            client: IpAddr::V4(Ipv4Addr::new(10, 0, 0, address)),
        },
        Op::SendPublic(user) => Command::Send {
            caller: caller(user),
            to: ChatRef::Public,
            text: text(),
        },
        Op::SendPrivate(user, other) => Command::Send {
            caller: caller(user),
            to: ChatRef::Private(name(other)),
            text: text(),
        },
        Op::Comment(user, message) => Command::Comment {
            caller: caller(user),
            message_id: message,
            text: text(),
        },
        Op::Report(user, other, private) => Command::Report {
            caller: caller(user),
            target: name(other),
            chat_type: if private {
                ChatType::Private
            } else {
                ChatType::Public
            },
        },
        Op::Unban(user, other) => Command::Unban {
            caller: caller(user),
            user_name: name(other),
        },
        Op::Advance(user, up_to) => {
            return Some(Job::Advance(Advance {
                chat: PUBLIC_CHAT,
                user: *ids.get(&user)?,
                up_to,
            }))
        }
    }))
}

fn apply(job: &Job, view: &mut impl View, now: UnixMillis, config: &Config) -> ViewResult<Outcome> {
    match job {
        Job::Command(command) => rules::apply(command, view, now, config),
        Job::Advance(to) => rules::advance(view, to).map(|()| Outcome::ReadMoved { unread: 0 }),
    }
}

/// Runs `jobs` as one batch over the overlay: their outcomes, and the
/// round trips it made.
fn run_batch(db: &mut Db, jobs: &[Job], now: UnixMillis, config: &Config) -> (Vec<Outcome>, u64) {
    let mut overlay = Overlay::new();
    let mut needs = Needs::default();
    for job in jobs {
        match job {
            Job::Command(command) => needs.command(command, now, config),
            Job::Advance(to) => needs.advance(to),
        }
    }
    overlay.preload(db, needs).expect("the load");
    let outcomes = jobs
        .iter()
        .map(|job| {
            overlay
                .command(db, |view| apply(job, view, now, config))
                .expect("no backend failure")
                .expect("no command failure")
        })
        .collect();
    overlay.flush(db).expect("the flush");
    (outcomes, overlay.round_trips())
}

fn register(db: &mut Db, users: usize) {
    let jobs: Vec<Job> = (0..users)
        .filter_map(|user| job(&Op::Register(user, user as u8), &BTreeMap::new()))
        .collect();
    run_batch(db, &jobs, T0, &config());
}

#[test]
fn one_load_and_one_flush_answer_the_common_commands() {
    let mut db = Db::new();
    register(&mut db, 3);
    let ids = BTreeMap::from([(0, 1), (1, 2), (2, 3)]);
    let (_, _) = run_batch(
        &mut db,
        &[job(&Op::SendPublic(0), &ids).unwrap()],
        T0,
        &config(),
    );
    let ops = [
        Op::SendPublic(1),
        Op::SendPrivate(0, 1),
        Op::SendPrivate(2, 0),
        Op::Comment(2, 1),
        Op::Report(0, 2, false),
        Op::Advance(2, 1),
        Op::Register(7, 9),
        Op::Unban(0, 1),
    ];
    let jobs: Vec<Job> = ops.iter().filter_map(|op| job(op, &ids)).collect();
    let (loads, flushes) = (db.loads, db.flushes);
    let (outcomes, trips) = run_batch(&mut db, &jobs, T0, &config());
    assert!(
        matches!(outcomes[0], Outcome::MessageSent { message_id: 2, .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[3], Outcome::CommentAdded { comment_id: 1 }),
        "{outcomes:?}"
    );
    assert_eq!((db.loads - loads, db.flushes - flushes, trips), (1, 1, 2));
    assert_eq!(db.chats.len(), 3, "two private chats made");
    assert_eq!(db.messages.len(), 4);
}

#[test]
fn a_key_the_load_did_not_foresee_is_loaded_when_reached() {
    let mut db = Db::new();
    register(&mut db, 2);
    let mut overlay = Overlay::new();
    let found = overlay
        .command(&mut db, |view| view.user_by_name("U1"))
        .unwrap()
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(2));
    let missing = overlay
        .command(&mut db, |view| view.user_by_name("nobody"))
        .unwrap()
        .unwrap();
    assert_eq!(missing, None);
    assert_eq!(overlay.round_trips(), 2);
    // Asked again: held, no round trip.
    overlay
        .command(&mut db, |view| view.user_by_name("nobody"))
        .unwrap();
    assert_eq!(overlay.round_trips(), 2);
}

#[test]
fn a_failed_command_leaves_nothing_and_ids_go_on_from_before_it() {
    let mut db = Db::new();
    register(&mut db, 2);
    let mut overlay = Overlay::new();
    let now = T0;
    let failed = overlay
        .command(&mut db, |view| {
            let late = agora_core::view::NewUser {
                name: "late",
                hash: &caller(9),
                origin: "x",
                now,
            };
            let id = view.create_user(late)?;
            view.join(PUBLIC_CHAT, id, 0)?;
            let message =
                view.append_message(PUBLIC_CHAT, agora_core::view::NewText::new(id, "lost", now))?;
            view.append_event(EventBody::Banned {
                user: id,
                until: now,
            })?;
            Err::<MessageId, _>(StoreError(format!("after message {message}")))
        })
        .unwrap();
    assert_eq!(failed, None);
    let panicked = overlay
        .command(&mut db, |view| -> ViewResult<()> {
            view.append_message(
                PUBLIC_CHAT,
                agora_core::view::NewText::new(1, "lost too", now),
            )?;
            panic!("a rule's bug")
        })
        .unwrap();
    assert_eq!(panicked, None);
    assert!(overlay.events().is_empty());
    let message = overlay
        .command(&mut db, |view| {
            view.append_message(PUBLIC_CHAT, agora_core::view::NewText::new(1, "kept", now))
        })
        .unwrap();
    assert_eq!(message, Some(1), "numbered as if the failed ones never ran");
    overlay.flush(&mut db).unwrap();
    assert_eq!(db.users.len(), 2);
    assert_eq!(db.messages.len(), 1);
    assert_eq!(db.chats[&PUBLIC_CHAT].member_count, 2);
    assert_eq!(db.chats[&PUBLIC_CHAT].last_message, 1);
    assert!(db.events.is_empty());
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..5usize;
    prop_oneof![
        (user.clone(), 0..3u8).prop_map(|(u, a)| Op::Register(u, a)),
        user.clone().prop_map(Op::SendPublic),
        (user.clone(), user.clone()).prop_map(|(u, v)| Op::SendPrivate(u, v)),
        (user.clone(), 0..8i64).prop_map(|(u, m)| Op::Comment(u, m)),
        (user.clone(), user.clone(), any::<bool>()).prop_map(|(u, v, p)| Op::Report(u, v, p)),
        (user.clone(), user.clone()).prop_map(|(u, v)| Op::Unban(u, v)),
        (user, 0..10i64).prop_map(|(u, m)| Op::Advance(u, m)),
    ]
}

proptest! {
    /// Batches over the overlay answer exactly as the model does, one
    /// command at a time; each batch's state, flushed, is what the next
    /// loads (the clock moves between batches, so quotas and bans expire).
    #[test]
    fn the_overlay_answers_as_the_model(
        batches in prop::collection::vec((prop::collection::vec(op(), 1..10), 0..40_000i64), 1..8)
    ) {
        let config = config();
        let mut db = Db::new();
        let mut model = Model::new(T0);
        let mut ids = BTreeMap::new();
        for (i, (ops, step)) in batches.iter().enumerate() {
            let now = UnixMillis(T0.0 + i as i64 * 10_000 + step);
            // Each op with its job (an op may have none), so that an op is
            // never paired with the next one's job.
            let (ops, jobs): (Vec<&Op>, Vec<Job>) = ops
                .iter()
                .filter_map(|op| Some((op, job(op, &ids)?)))
                .unzip();
            let mut expected = Vec::new();
            for (op, job) in ops.into_iter().zip(&jobs) {
                let outcome = apply(job, &mut model, now, &config).unwrap();
                if let (Op::Register(user, _), Outcome::TokenIssued { .. }) = (op, &outcome) {
                    let id = model.user_by_name(&format!("u{user}")).unwrap().unwrap().id;
                    ids.insert(*user, id);
                }
                expected.push(outcome);
            }
            let (outcomes, _) = run_batch(&mut db, &jobs, now, &config);
            prop_assert_eq!(outcomes, expected);
        }
    }
}

/// A command that failed after its writes were flushed (here for a call
/// the overlay passes to the backend, which refuses it) cannot be taken
/// back in memory: the database holds its message. The overlay says so
/// (`Failed::Spilled`, and the batch reruns with a savepoint per command)
/// rather than forget the message in memory and answer as if nothing was
/// written.
#[test]
fn a_command_failing_after_a_flush_of_its_writes_is_not_taken_back_in_memory() {
    let mut db = Db::new();
    register(&mut db, 1);
    let mut overlay = Overlay::new();
    let failed = overlay.command(&mut db, |view| {
        view.append_message(
            PUBLIC_CHAT,
            agora_core::view::NewText::new(1, "flushed", T0),
        )?;
        agora_core::accounts::Accounts::touch_device(view, 1, T0)
    });
    assert_eq!(failed, Err(Failed::Spilled));
    assert_eq!(db.messages.len(), 1, "the flush wrote the message");
}

/// Two registered users (test users 0 and 1), their ids, an empty overlay.
fn two_users() -> (Db, BTreeMap<usize, UserId>, Overlay) {
    let mut db = Db::new();
    register(&mut db, 2);
    (db, BTreeMap::from([(0, 1), (1, 2)]), Overlay::new())
}

/// Applies the send `op` through the overlay; it must be sent.
fn sent(overlay: &mut Overlay, db: &mut Db, op: &Op, ids: &BTreeMap<usize, UserId>) -> Outcome {
    let send = job(op, ids).unwrap();
    let sent = overlay.command(db, |view| apply(&send, view, T0, &config()));
    match sent {
        Ok(Some(outcome @ Outcome::MessageSent { .. })) => outcome,
        other => panic!("{op:?} was not sent: {other:?}"),
    }
}

/// A flush writes each change once: the rows it wrote are then as the
/// database has them, so a flush with nothing new since makes no round
/// trip, and a later change writes only itself.
#[test]
fn a_flushed_change_is_not_written_again() {
    let (mut db, ids, mut overlay) = two_users();
    sent(&mut overlay, &mut db, &Op::SendPrivate(0, 1), &ids);
    overlay.flush(&mut db).expect("the first flush");
    let flushes = db.flushes;
    overlay.flush(&mut db).expect("a flush of nothing");
    assert_eq!(db.flushes, flushes, "nothing new, yet a flush was made");
    sent(&mut overlay, &mut db, &Op::SendPublic(1), &ids);
    overlay
        .flush(&mut db)
        .expect("a flush of the second send alone");
    assert_eq!(db.flushes, flushes + 1);
    assert_eq!(db.messages.len(), 2);
}

/// A message sent in a batch and flushed before the batch ends (a range
/// read flushes what is kept) is then in the database: a later command of
/// the same batch that comments on it updates its row, and the next flush
/// does not insert it again. A command that touched it and failed takes
/// back only its own change: the message stays held, as the database has
/// it.
#[test]
fn a_message_flushed_mid_batch_is_updated_after_not_inserted_again() {
    let (mut db, ids, mut overlay) = two_users();
    let first = sent(&mut overlay, &mut db, &Op::SendPublic(0), &ids);
    assert!(
        matches!(first, Outcome::MessageSent { message_id: 1, .. }),
        "{first:?}"
    );
    overlay.flush(&mut db).expect("the mid-batch flush");
    let failed = overlay
        .command(&mut db, |view| {
            view.append_comment(1, agora_core::view::NewText::new(2, "lost", T0))?;
            Err::<(), _>(StoreError("a later failure".into()))
        })
        .expect("taken back in memory");
    assert_eq!(failed, None);
    let comment = job(&Op::Comment(1, 1), &ids).unwrap();
    let commented = overlay.command(&mut db, |view| apply(&comment, view, T0, &config()));
    assert!(
        matches!(commented, Ok(Some(Outcome::CommentAdded { comment_id: 1 }))),
        "{commented:?}"
    );
    overlay
        .flush(&mut db)
        .expect("the comment's flush updates the message, inserts nothing twice");
    assert_eq!(db.messages.len(), 1);
    assert_eq!(db.messages[&1].comment_count, 1);
    assert_eq!(db.comments.len(), 1);
}

/// What `settle` keeps true after a flush: every held message is clean,
/// and none still carries the payload its insert was made of. The flush
/// inserts a message only when both say so (`State::New` with a payload),
/// so each of the two resets is the other's backstop: removing one alone
/// changes no answer and no write (the test above fails only with both
/// gone, on the message inserted twice). This pins each on its own.
#[test]
fn after_a_flush_no_held_message_is_still_to_be_inserted() {
    let (mut db, ids, mut overlay) = two_users();
    for op in [Op::SendPublic(0), Op::SendPrivate(1, 0)] {
        sent(&mut overlay, &mut db, &op, &ids);
    }
    overlay.flush(&mut db).expect("the flush");
    let held: Vec<(MessageId, State, bool)> = overlay
        .messages
        .iter()
        .filter_map(|(&id, cached)| Some((id, cached.state, cached.value.as_ref()?.new.is_some())))
        .collect();
    assert_eq!(held.len(), 2, "both messages held: {held:?}");
    assert!(
        held.iter()
            .all(|&(_, state, pending)| state == State::Clean && !pending),
        "a flushed message still to be inserted: {held:?}"
    );
}
