//! The batch overlay on PostgreSQL ([`crate::overlay`]): a batch's rows in
//! one statement ([`PgRows::load`]), its changes in one ([`PgRows::flush`]),
//! and [`apply_batch`], what the wing runs a batch's jobs through instead
//! of applying each over `PgView` (a round trip per read and per write).
//!
//! Keys and rows travel as array parameters (`= ANY($n)`, `unnest`): no user
//! text is ever written into SQL. The load is one `SELECT` of tagged rows
//! (`UNION ALL`, the first column says which table a row is from); the
//! flush is one statement of data-modifying CTEs, each table written once.
//! Each part of the load is a lookup by a key some index leads with (the
//! parts are `UNION`s, not `OR`s, so that none becomes a scan).

use crate::engine::apply::run_job;
use crate::engine::batch::ApplyStep;
use crate::engine::job::{Job, UNAVAILABLE};
use crate::event_columns::EventColumns;
use crate::overlay::{
    BatchRows, ChatRow, Effects, Failed, MessageRow, Needs, NextIds, Overlay, RoomColumns, Rows,
    UserRow,
};
use crate::pg::connection::{describe, PgConn};
use crate::pg::view::PgView;
use agora_core::config::Config;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, User, ViewResult};

fn store_error(e: postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

/// The next id a table's sequence gives (`pg_sequence_last_value` is
/// `NULL` before its first `nextval`).
macro_rules! next_id {
    ($table:literal) => {
        concat!(
            "coalesce(pg_sequence_last_value(pg_get_serial_sequence('",
            $table,
            "', 'id')::regclass), 0) + 1"
        )
    };
}

/// Tags of the load's rows.
const USER: i32 = 1;
const CHAT: i32 = 2;
const MEMBER: i32 = 3;
const MESSAGE: i32 = 4;
const REPORT: i32 = 5;
const REGISTRATION: i32 = 6;
const NEXT_IDS: i32 = 7;
/// (issue 28) a device token and its user.
const DEVICE: i32 = 8;
/// (issue 25) a room invitation.
const INVITE: i32 = 9;

/// Every row [`Needs`] names, and what comes with them (see `Needs`).
/// Columns: tag, eight `bigint`s, a `text`, a `bytea`, a `boolean`.
const LOAD: &str = concat!(
    "WITH
 dv AS (SELECT token_hash, user_id FROM devices
        WHERE token_hash = ANY($1::bytea[]) OR token_hash = ANY($5::bytea[])),
 u0 AS (SELECT * FROM users
        WHERE id IN (SELECT user_id FROM dv) OR name_key = ANY($2::text[])
              OR id = ANY($3::int8[])),
 tp AS (SELECT least(a.id, b.id) AS lo, greatest(a.id, b.id) AS hi
          FROM unnest($5::bytea[], $6::text[]) AS p(t, n)
          JOIN dv ON dv.token_hash = p.t JOIN users a ON a.id = dv.user_id
          JOIN users b ON b.name_key = p.n
        UNION ALL SELECT * FROM unnest($7::int8[], $8::int8[])),
 msg AS (SELECT id, chat_id, comment_count FROM messages WHERE id = ANY($11::int8[])),
 ch AS (SELECT * FROM chats WHERE id = ANY($4::int8[])
        UNION SELECT * FROM chats WHERE room_key = ANY($18::text[])
        UNION SELECT c.* FROM chats c JOIN msg ON c.id = msg.chat_id
        UNION SELECT c.* FROM chats c JOIN tp ON c.user_a = tp.lo AND c.user_b = tp.hi
              WHERE c.user_a IS NOT NULL),
 u AS (SELECT * FROM u0
       UNION SELECT users.* FROM users JOIN ch ON users.id IN (ch.user_a, ch.user_b)),
 mem AS (SELECT m.chat_id, m.user_id, m.position FROM members m
           JOIN unnest($9::int8[], $10::int8[]) AS k(c, u) ON m.chat_id = k.c AND m.user_id = k.u
         UNION SELECT chat_id, user_id, position FROM members
           WHERE chat_id = 1 AND user_id IN (SELECT id FROM u)
         UNION SELECT m.chat_id, m.user_id, m.position FROM ch
           JOIN members m ON m.chat_id = ch.id AND m.user_id IN (ch.user_a, ch.user_b)
         UNION SELECT m.chat_id, m.user_id, m.position FROM ch
           JOIN members m ON m.chat_id = ch.id
           WHERE ch.room_key IS NOT NULL AND m.user_id IN (SELECT id FROM u)),
 inv AS (SELECT i.chat_id, i.user_id FROM ch JOIN room_invites i ON i.chat_id = ch.id
         WHERE ch.room_key IS NOT NULL AND i.user_id IN (SELECT id FROM u)),
 rep AS (SELECT target, reporter, created FROM reports WHERE target = ANY($13::int8[])
         UNION SELECT r.target, r.reporter, r.created FROM users t
           JOIN reports r ON r.target = t.id WHERE t.name_key = ANY($12::text[])),
 reg AS (SELECT o.origin, r.created FROM unnest($14::text[]) AS o(origin)
         CROSS JOIN LATERAL (SELECT created FROM users
                             WHERE created_from = o.origin AND created >= $15::int8
                             ORDER BY created DESC LIMIT $16::int8) r)
SELECT 1, id, banned_until, window_start, window_count, comment_window_start,
       comment_window_count, created, NULL::int8, name, token_hash, sent_message FROM u
UNION ALL SELECT 2, id, user_a, user_b, created, message_count, member_count, last_message,
       NULL, room_name, convert_to(room_topic, 'UTF8'), room_public FROM ch
UNION ALL SELECT 3, chat_id, user_id, position, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM mem
UNION ALL SELECT 4, id, chat_id, comment_count, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM msg
UNION ALL SELECT 5, target, reporter, created, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM rep
UNION ALL SELECT 6, created, NULL, NULL, NULL, NULL, NULL, NULL, NULL, origin, NULL, NULL
       FROM reg
UNION ALL SELECT 8, user_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, token_hash, NULL
       FROM dv
UNION ALL SELECT 9, chat_id, user_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM inv
UNION ALL SELECT 7, ",
    next_id!("users"),
    ", ",
    next_id!("chats"),
    ", ",
    next_id!("messages"),
    ", ",
    next_id!("comments"),
    ", ",
    next_id!("events"),
    ", NULL, NULL, NULL, NULL, NULL, NULL WHERE $17::bool"
);

/// Every change of [`Effects`], each table written once; then the id
/// sequences moved past the ids the overlay handed out.
const FLUSH: &str = "WITH
 nu AS (INSERT INTO users (id, name, name_key, token_hash, created, created_from, banned_until,
                           window_start, window_count, comment_window_start,
                           comment_window_count, sent_message)
        SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::bytea[], $5::int8[],
                             $6::text[], $7::int8[], $8::int8[], $9::int8[], $10::int8[],
                             $11::int8[], $12::bool[])),
 cu AS (UPDATE users SET banned_until = x.bu, window_start = x.ws, window_count = x.wc,
                         comment_window_start = x.cws, comment_window_count = x.cwc,
                         sent_message = x.sm
        FROM unnest($13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[],
                    $18::int8[], $19::bool[]) AS x(id, bu, ws, wc, cws, cwc, sm)
        WHERE users.id = x.id),
 nc AS (INSERT INTO chats (id, user_a, user_b, created, message_count, member_count, last_message)
        SELECT * FROM unnest($20::int8[], $21::int8[], $22::int8[], $23::int8[], $24::int8[],
                             $25::int8[], $26::int8[])),
 cc AS (UPDATE chats SET message_count = x.mc, member_count = x.nm, last_message = x.lm
        FROM unnest($27::int8[], $28::int8[], $29::int8[], $30::int8[]) AS x(id, mc, nm, lm)
        WHERE chats.id = x.id),
 nm AS (INSERT INTO members (user_id, chat_id, position)
        SELECT * FROM unnest($31::int8[], $32::int8[], $33::int8[])),
 cm AS (UPDATE members SET position = x.p
        FROM unnest($34::int8[], $35::int8[], $36::int8[]) AS x(u, c, p)
        WHERE members.user_id = x.u AND members.chat_id = x.c),
 nmsg AS (INSERT INTO messages (id, chat_id, author, pub_date, text, comment_count)
          SELECT * FROM unnest($37::int8[], $38::int8[], $39::int8[], $40::int8[],
                               $41::bytea[], $42::int8[])),
 cmsg AS (UPDATE messages SET comment_count = x.n
          FROM unnest($43::int8[], $44::int8[]) AS x(id, n) WHERE messages.id = x.id),
 ncom AS (INSERT INTO comments (id, message_id, chat_id, author, created, text)
          SELECT * FROM unnest($45::int8[], $46::int8[], $47::int8[], $48::int8[], $49::int8[],
                               $50::bytea[])),
 drep AS (DELETE FROM reports r WHERE r.target = ANY($51::int8[])
          AND NOT EXISTS (SELECT 1 FROM unnest($52::int8[], $53::int8[]) AS k(t, rr)
                          WHERE k.t = r.target AND k.rr = r.reporter)),
 nrep AS (INSERT INTO reports (target, reporter, created)
          SELECT * FROM unnest($52::int8[], $53::int8[], $54::int8[])
          ON CONFLICT (target, reporter) DO UPDATE SET created = EXCLUDED.created),
 ndev AS (INSERT INTO devices (user_id, token_hash, label, created, last_used)
          SELECT id, t, '', c, c FROM unnest($1::int8[], $4::bytea[], $5::int8[]) AS x(id, t, c)),
 ninv AS (INSERT INTO room_invites (chat_id, user_id)
          SELECT * FROM unnest($68::int8[], $69::int8[]) ON CONFLICT DO NOTHING),
 dinv AS (DELETE FROM room_invites i USING unnest($70::int8[], $71::int8[]) AS k(c, u)
          WHERE i.chat_id = k.c AND i.user_id = k.u),
 nev AS (INSERT INTO events (id, kind, chat_id, message_id, comment_id, user_id, until, action)
         SELECT * FROM unnest($55::int8[], $56::int2[], $57::int8[], $58::int8[], $59::int8[],
                              $60::int8[], $61::int8[], $64::int2[]) ORDER BY 1),
 -- (issue 23) who may read each new event (crate::event_readers)
 nrd AS (INSERT INTO event_readers (reader, event_id)
         SELECT * FROM unnest($72::int8[], $73::int8[])),
 -- (issue 27) the new messages' words in the search index (pg/search.rs)
 nsrch AS (INSERT INTO message_search (chat_id, message_id, lexemes)
           SELECT x.c, x.m, array_to_tsvector(string_to_array(x.l, ' '))
           FROM unnest($65::int8[], $66::int8[], $67::text[]) AS x(c, m, l) WHERE x.l <> ''),
 -- and in its per-chat vocabulary (the same lexemes, counted)
 nterm AS (INSERT INTO message_search_terms (lexeme, messages)
           SELECT w.l, count(*) FROM unnest($67::text[]) AS x(l),
                  unnest(string_to_array(x.l, ' ')) AS w(l)
           WHERE x.l <> '' GROUP BY w.l ORDER BY w.l
           ON CONFLICT (lexeme) DO UPDATE
           SET messages = message_search_terms.messages + EXCLUDED.messages)
SELECT count(setval(pg_get_serial_sequence(s.t, 'id'), s.v))
  FROM unnest($62::text[], $63::int8[]) AS s(t, v) WHERE s.v > 0";

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
        let rows = self
            .conn
            .query(
                LOAD,
                &[
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
                ],
            )
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
        self.conn
            .query_one(
                FLUSH,
                &[
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
                ],
            )
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
