//! Specification of cautions and bans, checked against the rules for random
//! sequences of reports, sends and clock moves among a few users. The
//! specification keeps only the history: accepted reports and bans, each
//! with its time. From it:
//!
//! - a user is banned at `t` exactly when some ban has `start <= t < end`;
//! - its cautions are the distinct reporters with an accepted report after the
//!   one that made its last ban (or ever, if never banned);
//! - a report that makes them reach `threshold` starts a ban of `ban_ms`;
//! - a report on a banned user is answered `AlreadyBanned` with the ban's end,
//!   a second report by the same reporter since the last ban is 409;
//! - a banned user's sends are refused until exactly `banned_until`, with
//!   `retry_after` the time left, rounded up.

use agora_core::command::{ChatRef, ChatType, Command, Failure, Outcome};
use agora_core::config::Config;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_testkit::model::Model;
use proptest::prelude::*;
use std::collections::BTreeSet;

const T0: i64 = 1_795_939_200_000;
const USERS: usize = 5;

#[derive(Clone, Debug)]
enum Op {
    Report {
        reporter: usize,
        target: usize,
    },
    Send {
        user: usize,
    },
    Status {
        user: usize,
    },
    Advance(u64),
    /// Jump to `delta` ms (may be negative) around the end of `user`'s last ban.
    NearBanEnd {
        user: usize,
        delta: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS;
    prop_oneof![
        6 => (user.clone(), 0..USERS).prop_map(|(reporter, target)| Op::Report { reporter, target }),
        2 => user.clone().prop_map(|user| Op::Send { user }),
        1 => user.clone().prop_map(|user| Op::Status { user }),
        2 => (0u64..20_000).prop_map(Op::Advance),
        2 => (user, -1i64..=1).prop_map(|(user, delta)| Op::NearBanEnd { user, delta }),
    ]
}

struct History {
    /// (time, reporter) of accepted reports, per target.
    reports: Vec<Vec<(i64, usize)>>,
    /// (start, end) of bans, per user.
    bans: Vec<Vec<(i64, i64)>>,
    /// How many of a user's reports came before (and made) its last ban.
    before_last_ban: Vec<usize>,
}

impl History {
    fn ban_at(&self, user: usize, t: i64) -> Option<i64> {
        self.bans[user]
            .iter()
            .find(|&&(start, end)| start <= t && t < end)
            .map(|&(_, end)| end)
    }

    fn cautions(&self, user: usize) -> BTreeSet<usize> {
        self.reports[user][self.before_last_ban[user]..]
            .iter()
            .map(|&(_, r)| r)
            .collect()
    }
}

fn token(user: usize) -> Token {
    Token([user as u8 + 1; 16])
}

fn name(user: usize) -> String {
    format!("user{user}")
}

fn run(threshold: u32, ban_ms: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let config = Config {
        ban_threshold: threshold,
        ban_ms,
        quota: 1_000_000,
        // This spec is the seed's: every reporter counts (the reporter
        // rules have their own tests in rules_abuse.rs).
        reporter_min_age_ms: 0,
        ..Config::default()
    };
    let mut model = Model::new(UnixMillis(T0));
    let mut now = UnixMillis(T0);
    let mut apply = |command: Command, now: UnixMillis| {
        rules::apply(&command, &mut model, now, &config).unwrap()
    };
    for user in 0..USERS {
        apply(
            Command::GetToken {
                user_name: name(user),
                token: token(user),
                client: std::net::Ipv4Addr::LOCALHOST.into(),
            },
            now,
        );
    }
    let mut h = History {
        reports: vec![Vec::new(); USERS],
        bans: vec![Vec::new(); USERS],
        before_last_ban: vec![0; USERS],
    };
    for op in ops {
        let t = now.0;
        match *op {
            Op::Advance(ms) => now = now.plus_ms(ms),
            Op::NearBanEnd { user, delta } => {
                if let Some(&(_, end)) = h.bans[user].last() {
                    // The clock never goes back.
                    now = UnixMillis((end + delta).max(t));
                }
            }
            Op::Report { reporter, target } => {
                let command = Command::Report {
                    caller: token(reporter).hash(),
                    target: name(target).to_uppercase(),
                    chat_type: ChatType::Public,
                };
                let outcome = apply(command, now);
                let expected = if reporter == target {
                    Outcome::Failed(Failure::SelfTarget { field: "report_on" })
                } else if let Some(end) = h.ban_at(target, t) {
                    Outcome::AlreadyBanned {
                        banned_until: UnixMillis(end),
                    }
                } else {
                    let mut reporters = h.cautions(target);
                    if reporters.contains(&reporter) {
                        Outcome::Failed(Failure::AlreadyReported)
                    } else {
                        h.reports[target].push((t, reporter));
                        reporters.insert(reporter);
                        if reporters.len() as u32 >= threshold {
                            let end = t + ban_ms as i64;
                            h.bans[target].push((t, end));
                            h.before_last_ban[target] = h.reports[target].len();
                            Outcome::ReportAccepted {
                                cautions: 0,
                                banned_until: Some(UnixMillis(end)),
                            }
                        } else {
                            Outcome::ReportAccepted {
                                cautions: reporters.len() as u32,
                                banned_until: None,
                            }
                        }
                    }
                };
                prop_assert_eq!(outcome, expected);
            }
            Op::Send { user } => {
                let command = Command::Send {
                    caller: token(user).hash(),
                    to: ChatRef::Public,
                    text: "x".into(),
                };
                match (apply(command, now), h.ban_at(user, t)) {
                    (Outcome::MessageSent { .. }, None) => {}
                    (Outcome::Banned { until, now: at }, Some(end)) => {
                        prop_assert_eq!(until, UnixMillis(end));
                        prop_assert_eq!(at.seconds_until(until), ((end - t) as u64).div_ceil(1000));
                        prop_assert!(at.seconds_until(until) >= 1);
                    }
                    (other, ban) => {
                        return Err(TestCaseError::fail(format!("{other:?} with ban {ban:?}")));
                    }
                }
            }
            Op::Status { user } => {
                let Outcome::Status(report) = apply(
                    Command::Status {
                        caller: token(user).hash(),
                    },
                    now,
                ) else {
                    return Err(TestCaseError::fail("status failed"));
                };
                prop_assert_eq!(report.banned_until, h.ban_at(user, t).map(UnixMillis));
                prop_assert_eq!(report.cautions, h.cautions(user).len() as u32);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn bans_follow_the_history_spec(
        threshold in 1u32..5,
        ban_ms in 1u64..60_000,
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        run(threshold, ban_ms, &ops)?;
    }
}
