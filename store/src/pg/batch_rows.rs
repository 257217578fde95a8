//! The batch overlay on PostgreSQL ([`crate::overlay`]): a batch's rows in
//! one statement ([`PgRows::load`]), its changes in one ([`PgRows::flush`]),
//! and [`apply_batch`], what the wing runs a batch's jobs through instead
//! of applying each over `PgView` (a round trip per read and per write).
//!
//! Keys and rows travel as array parameters (`= ANY($n)`, `unnest`): no user
//! text is ever written into SQL. The load is one `SELECT` of tagged rows
//! (`load_sql`); the flush is one statement of data-modifying CTEs, each
//! table written once (`flush_sql`); each of only the parts the batch uses
//! (`composed`).

use crate::engine::apply::run_job;
use crate::engine::batch::ApplyStep;
use crate::engine::job::{Job, UNAVAILABLE};
use crate::event_columns::EventColumns;
use crate::overlay::{
    BatchRows, ChatRow, Effects, Failed, MessageRow, Needs, NextIds, Overlay, RoomColumns, Rows,
    UserRow,
};
use crate::pg::connection::{describe, PgConn};
use crate::pg::flush_sql::{self, Columns, Parts};
use crate::pg::load_sql::{
    self, CHAT, DEVICE, INVITE, MEMBER, MESSAGE, NEXT_IDS, REGISTRATION, REPORT, USER,
};
use crate::pg::view::PgView;
use agora_core::config::Config;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, User, ViewResult};
use postgres::types::ToSql;

fn store_error(e: postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

/// The overlay's backend over the writer's connection, inside its open
/// transaction.
pub(crate) struct PgRows<'c> {
    conn: &'c mut PgConn,
}

fn millis(value: Option<i64>) -> Option<UnixMillis> {
    value.map(UnixMillis)
}

fn count<T: TryFrom<i64>>(value: Option<i64>) -> ViewResult<T> {
    let value = value.unwrap_or(0);
    T::try_from(value).map_err(|_| StoreError(format!("stored count {value} out of range")))
}

fn required(value: Option<i64>) -> ViewResult<i64> {
    value.ok_or_else(|| StoreError("batch load: a required column is NULL".into()))
}

impl BatchRows for PgRows<'_> {
    type Through<'a>
        = PgView<'a>
    where
        Self: 'a;

    fn load(&mut self, needs: &Needs) -> ViewResult<Rows> {
        let tokens: Vec<&[u8]> = needs.tokens.iter().map(|t| &t[..]).collect();
        let tp_tokens: Vec<&[u8]> = needs.token_pairs.iter().map(|(t, _)| &t[..]).collect();
        let tp_names: Vec<&str> = needs.token_pairs.iter().map(|(_, n)| n.as_str()).collect();
        let (lows, highs): (Vec<i64>, Vec<i64>) = needs.pairs.iter().copied().unzip();
        let (member_chats, member_users): (Vec<i64>, Vec<i64>) =
            needs.members.iter().copied().unzip();
        let load = load_sql::statement(needs);
        // In the whole statement's numbering (`load_sql`).
        let whole: [&(dyn ToSql + Sync); load_sql::PARAMETERS] = [
            &tokens,
            &needs.names,
            &needs.user_ids,
            &needs.chats,
            &tp_tokens,
            &tp_names,
            &lows,
            &highs,
            &member_chats,
            &member_users,
            &needs.messages,
            &needs.report_names,
            &needs.report_ids,
            &needs.origins,
            &needs.registrations_since.0,
            &i64::from(needs.registrations_limit),
            &needs.next_ids,
            &needs.room_keys,
        ];
        let rows = self
            .conn
            .query(&load.sql, &load.bind(&whole))
            .map_err(store_error)?;
        let mut loaded = Rows::default();
        for row in rows {
            // `try_get`: a row of an unexpected shape is a store error, not
            // a panic of the writer thread.
            let n = |i: usize| row.try_get::<_, Option<i64>>(i).map_err(store_error);
            let text = |i: usize| row.try_get::<_, Option<String>>(i).map_err(store_error);
            let flag = |i: usize| row.try_get::<_, Option<bool>>(i).map_err(store_error);
            match row.try_get::<_, i32>(0).map_err(store_error)? {
                USER => {
                    let token: Vec<u8> = row
                        .try_get::<_, Option<Vec<u8>>>(10)
                        .map_err(store_error)?
                        .unwrap_or_default();
                    loaded.users.push(UserRow {
                        user: User {
                            id: required(n(1)?)?,
                            name: text(9)?.unwrap_or_default(),
                            banned_until: millis(n(2)?),
                            window_start: millis(n(3)?),
                            window_count: count(n(4)?)?,
                            comment_window_start: millis(n(5)?),
                            comment_window_count: count(n(6)?)?,
                            created: UnixMillis(required(n(7)?)?),
                            sent_message: flag(11)?.unwrap_or_default(),
                        },
                        token: token.try_into().map_err(|_| {
                            StoreError("a stored token hash is not 32 bytes".into())
                        })?,
                    });
                }
                CHAT => {
                    let room = match text(9)? {
                        None => None,
                        Some(name) => Some(RoomColumns {
                            name,
                            public: flag(11)?.unwrap_or_default(),
                            topic: String::from_utf8(
                                row.try_get::<_, Option<Vec<u8>>>(10)
                                    .map_err(store_error)?
                                    .unwrap_or_default(),
                            )
                            .map_err(|_| StoreError("a room's topic is not UTF-8".into()))?,
                        }),
                    };
                    loaded.chats.push(ChatRow {
                        id: required(n(1)?)?,
                        pair: n(2)?.zip(n(3)?),
                        created: UnixMillis(required(n(4)?)?),
                        message_count: required(n(5)?)?,
                        member_count: required(n(6)?)?,
                        last_message: required(n(7)?)?,
                        room,
                    })
                }
                INVITE => loaded.invites.push((required(n(1)?)?, required(n(2)?)?)),
                MEMBER => {
                    loaded
                        .members
                        .push((required(n(1)?)?, required(n(2)?)?, required(n(3)?)?))
                }
                MESSAGE => loaded.messages.push(MessageRow {
                    id: required(n(1)?)?,
                    chat: required(n(2)?)?,
                    comment_count: required(n(3)?)?,
                }),
                REPORT => loaded.reports.push((
                    required(n(1)?)?,
                    required(n(2)?)?,
                    UnixMillis(required(n(3)?)?),
                )),
                REGISTRATION => loaded
                    .registrations
                    .push((text(9)?.unwrap_or_default(), UnixMillis(required(n(1)?)?))),
                NEXT_IDS => {
                    loaded.next = Some(NextIds {
                        user: required(n(1)?)?,
                        chat: required(n(2)?)?,
                        message: required(n(3)?)?,
                        comment: required(n(4)?)?,
                        event: required(n(5)?)?,
                    })
                }
                DEVICE => {
                    let token: Vec<u8> = row
                        .try_get::<_, Option<Vec<u8>>>(10)
                        .map_err(store_error)?
                        .unwrap_or_default();
                    let token = token
                        .try_into()
                        .map_err(|_| StoreError("a stored token hash is not 32 bytes".into()))?;
                    loaded.devices.push((token, required(n(1)?)?));
                }
                tag => return Err(StoreError(format!("batch load: unknown row tag {tag}"))),
            }
        }
        Ok(loaded)
    }

    fn flush(&mut self, effects: &Effects) -> ViewResult<()> {
        let e = effects;
        let new_user = |f: fn(&User) -> Option<i64>| -> Vec<Option<i64>> {
            e.new_users.iter().map(|u| f(&u.row.user)).collect()
        };
        let changed_user = |f: fn(&User) -> Option<i64>| -> Vec<Option<i64>> {
            e.changed_users.iter().map(f).collect()
        };
        let banned = |u: &User| u.banned_until.map(|t| t.0);
        let window = |u: &User| u.window_start.map(|t| t.0);
        let window_count = |u: &User| Some(i64::from(u.window_count));
        let comment_window = |u: &User| u.comment_window_start.map(|t| t.0);
        let comment_count = |u: &User| Some(i64::from(u.comment_window_count));
        let nu_id = new_user(|u| Some(u.id));
        let nu_name: Vec<&str> = e
            .new_users
            .iter()
            .map(|u| u.row.user.name.as_str())
            .collect();
        let nu_key: Vec<String> = e
            .new_users
            .iter()
            .map(|u| crate::overlay::name_key(&u.row.user.name))
            .collect();
        let nu_token: Vec<&[u8]> = e.new_users.iter().map(|u| &u.row.token[..]).collect();
        let nu_created = new_user(|u| Some(u.created.0));
        let nu_origin: Vec<&str> = e.new_users.iter().map(|u| u.origin.as_str()).collect();
        let nu_sent: Vec<bool> = e
            .new_users
            .iter()
            .map(|u| u.row.user.sent_message)
            .collect();
        let cu_id = changed_user(|u| Some(u.id));
        let cu_sent: Vec<bool> = e.changed_users.iter().map(|u| u.sent_message).collect();
        let chats = |rows: &[ChatRow], f: fn(&ChatRow) -> Option<i64>| -> Vec<Option<i64>> {
            rows.iter().map(f).collect()
        };
        let (nc, cc) = (&e.new_chats[..], &e.changed_chats[..]);
        let members = |rows: &[(i64, i64, i64)], i: usize| -> Vec<i64> {
            rows.iter().map(|&(c, u, p)| [u, c, p][i]).collect()
        };
        let (nm, cm) = (&e.new_members[..], &e.changed_members[..]);
        let nmsg_id: Vec<i64> = e.new_messages.iter().map(|m| m.row.id).collect();
        let nmsg_chat: Vec<i64> = e.new_messages.iter().map(|m| m.row.chat).collect();
        let nmsg_author: Vec<i64> = e.new_messages.iter().map(|m| m.author).collect();
        let nmsg_date: Vec<i64> = e.new_messages.iter().map(|m| m.pub_date.0).collect();
        let nmsg_text: Vec<&[u8]> = e.new_messages.iter().map(|m| m.text.as_bytes()).collect();
        let nmsg_comments: Vec<i64> = e.new_messages.iter().map(|m| m.row.comment_count).collect();
        let search = super::search::new_rows(
            e.new_messages
                .iter()
                .map(|m| (m.row.chat, m.row.id, m.text.as_str())),
        );
        let terms = super::search::term_counts(&search.2);
        let cmsg_id: Vec<i64> = e.changed_messages.iter().map(|m| m.id).collect();
        let cmsg_comments: Vec<i64> = e.changed_messages.iter().map(|m| m.comment_count).collect();
        let c = &e.new_comments;
        let com_id: Vec<i64> = c.iter().map(|c| c.id).collect();
        let com_message: Vec<i64> = c.iter().map(|c| c.message).collect();
        let com_chat: Vec<i64> = c.iter().map(|c| c.chat).collect();
        let com_author: Vec<i64> = c.iter().map(|c| c.author).collect();
        let com_created: Vec<i64> = c.iter().map(|c| c.created.0).collect();
        let com_text: Vec<&[u8]> = c.iter().map(|c| c.text.as_bytes()).collect();
        let rep_target: Vec<i64> = e.reports.iter().map(|r| r.0).collect();
        let rep_reporter: Vec<i64> = e.reports.iter().map(|r| r.1).collect();
        let rep_created: Vec<i64> = e.reports.iter().map(|r| r.2 .0).collect();
        let columns: Vec<EventColumns> = e
            .new_events
            .iter()
            .map(|ev| EventColumns::of(&ev.body))
            .collect();
        let ev_id: Vec<i64> = e.new_events.iter().map(|ev| ev.id).collect();
        let ev_kind: Vec<i16> = columns.iter().map(|c| c.kind).collect();
        let ev_chat: Vec<Option<i64>> = columns.iter().map(|c| c.chat).collect();
        let ev_message: Vec<Option<i64>> = columns.iter().map(|c| c.message).collect();
        let ev_comment: Vec<Option<i64>> = columns.iter().map(|c| c.comment).collect();
        let ev_user: Vec<Option<i64>> = columns.iter().map(|c| c.user).collect();
        let ev_until: Vec<Option<i64>> = columns.iter().map(|c| c.until).collect();
        let ev_action: Vec<Option<i16>> = columns.iter().map(|c| c.action).collect();
        let (er_reader, er_event) = crate::event_readers::columns(&e.new_events);
        let invites = |rows: &[(i64, i64)], i: usize| -> Vec<i64> {
            rows.iter().map(|&(c, u)| [c, u][i]).collect()
        };
        let (seq_tables, seq_values): (Vec<&str>, Vec<i64>) = match e.last_ids {
            Some(last) => [
                ("users", last.user),
                ("chats", last.chat),
                ("messages", last.message),
                ("comments", last.comment),
                ("events", last.event),
            ]
            .into_iter()
            .unzip(),
            None => (Vec::new(), Vec::new()),
        };
        let columns = Columns {
            search_rows: search.2.iter().any(|l| !l.is_empty()),
            reader_rows: !er_reader.is_empty(),
        };
        let flush = flush_sql::statement(Parts::of(e, &columns));
        // In the whole statement's numbering (`flush_sql`).
        let whole: [&(dyn ToSql + Sync); flush_sql::PARAMETERS] = [
            &nu_id,
            &nu_name,
            &nu_key,
            &nu_token,
            &nu_created,
            &nu_origin,
            &new_user(banned),
            &new_user(window),
            &new_user(window_count),
            &new_user(comment_window),
            &new_user(comment_count),
            &nu_sent,
            &cu_id,
            &changed_user(banned),
            &changed_user(window),
            &changed_user(window_count),
            &changed_user(comment_window),
            &changed_user(comment_count),
            &cu_sent,
            &chats(nc, |c| Some(c.id)),
            &chats(nc, |c| c.pair.map(|p| p.0)),
            &chats(nc, |c| c.pair.map(|p| p.1)),
            &chats(nc, |c| Some(c.created.0)),
            &chats(nc, |c| Some(c.message_count)),
            &chats(nc, |c| Some(c.member_count)),
            &chats(nc, |c| Some(c.last_message)),
            &chats(cc, |c| Some(c.id)),
            &chats(cc, |c| Some(c.message_count)),
            &chats(cc, |c| Some(c.member_count)),
            &chats(cc, |c| Some(c.last_message)),
            &members(nm, 0),
            &members(nm, 1),
            &members(nm, 2),
            &members(cm, 0),
            &members(cm, 1),
            &members(cm, 2),
            &nmsg_id,
            &nmsg_chat,
            &nmsg_author,
            &nmsg_date,
            &nmsg_text,
            &nmsg_comments,
            &cmsg_id,
            &cmsg_comments,
            &com_id,
            &com_message,
            &com_chat,
            &com_author,
            &com_created,
            &com_text,
            &e.report_targets,
            &rep_target,
            &rep_reporter,
            &rep_created,
            &ev_id,
            &ev_kind,
            &ev_chat,
            &ev_message,
            &ev_comment,
            &ev_user,
            &ev_until,
            &seq_tables,
            &seq_values,
            &ev_action,
            &search.0,
            &search.1,
            &search.2,
            &invites(&e.invites_added, 0),
            &invites(&e.invites_added, 1),
            &invites(&e.invites_dropped, 0),
            &invites(&e.invites_dropped, 1),
            &er_reader,
            &er_event,
            &terms.0,
            &terms.1,
        ];
        self.conn
            .query_one(&flush.sql, &flush.bind(&whole))
            .map(drop)
            .map_err(store_error)
    }

    fn through(&mut self) -> PgView<'_> {
        PgView::new(self.conn)
    }
}

/// One apply step of a batch over the overlay, as `PgWing::apply_batch`
/// runs it with `Isolation::Batch`: one load of what its jobs name, the
/// jobs in memory, one flush of what they changed. Nothing stays in memory
/// after it, so `COMMIT` has nothing left to write, and a failed flush
/// rolls back and reruns like a failed command.
pub(crate) fn apply_batch(
    conn: &mut PgConn,
    step: ApplyStep<'_>,
    rules_config: &Config,
) -> Result<(), Failed> {
    let ApplyStep {
        jobs,
        now,
        events,
        outcomes,
        ..
    } = step;
    let mut rows = PgRows { conn };
    let mut overlay = Overlay::new();
    let mut needs = Needs::default();
    for request in jobs {
        match &request.job {
            Job::Command(command) | Job::Keyed { command, .. } => {
                needs.command(command, now, rules_config)
            }
            Job::Advance { to, .. } => needs.advance(to),
        }
    }
    overlay.preload(&mut rows, needs)?;
    for request in jobs {
        let recorded = overlay.events().len();
        let outcome = overlay.command(&mut rows, |view| {
            run_job(view, &request.job, now, |command, view, now| {
                rules::apply(command, view, now, rules_config)
            })
        })?;
        events.extend_from_slice(&overlay.events()[recorded..]);
        // A command that failed was taken back in memory.
        outcomes.push(outcome.unwrap_or(UNAVAILABLE));
    }
    overlay.flush(&mut rows)
}
