//! [`PgView`]: the rules' [`View`] over an open PostgreSQL transaction.

use crate::event_columns::{
    action_of, EventColumns, EVENT_BANNED, EVENT_COMMENT, EVENT_DELETED, EVENT_EDITED,
    EVENT_MEMBER, EVENT_MESSAGE, EVENT_REACTION,
};
use crate::forward::Own;
use crate::history_page::HistoryRows;
use crate::membership::MemberRows;
use crate::pg::connection::{describe, PgConn};
use crate::recorded_events::RecordedEvents;
use crate::statements;
use crate::user_rows::user_where;
use agora_core::accounts::{Accounts, NewDevice};
use agora_core::events::{Event, EventBody, EventChat, EventId};
use agora_core::records::name_key;
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{
    ChatId, ChatKind, ChatSummary, ChatUser, CommentId, CommentPage, MessageId, MessagePage,
    NewText, NewUser, PeoplePage, ReadPosition, Recent, SearchPage, StoreError, StoredComment,
    StoredMessage, User, UserId, View, ViewResult, PUBLIC_CHAT,
};
use postgres::Row;

#[cfg(test)]
mod reader_rows_tests;
mod rooms;
#[cfg(test)]
mod search_round_trips_tests;
#[cfg(test)]
mod search_terms_tests;
#[cfg(test)]
pub(crate) mod test_fixture;
pub(crate) use rooms::room_memberships;
pub(crate) mod status;

/// The rules' window onto the database: every method runs inside whatever
/// transaction is open on the connection, and commits nothing itself.
pub(crate) struct PgView<'a> {
    pub(super) conn: &'a mut PgConn,
    /// Where the events this view records go too (see `SqlView`).
    recorded: RecordedEvents<'a>,
    /// (issue 27) What `search_candidates` read, for the `search_chat`s
    /// after it.
    search_counts: Option<super::search::CountsMemo>,
}

impl<'a> PgView<'a> {
    pub(crate) fn new(conn: &'a mut PgConn) -> PgView<'a> {
        PgView {
            conn,
            recorded: RecordedEvents::default(),
            search_counts: None,
        }
    }

    pub(crate) fn recording_events(mut self, events: &'a mut Vec<Event>) -> PgView<'a> {
        self.recorded = RecordedEvents::into(events);
        self
    }

    /// The connection underneath (see `pg::idempotency_keys`).
    pub(crate) fn connection(&mut self) -> &mut PgConn {
        self.conn
    }
}

pub(super) fn store_error(e: postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

fn millis(value: Option<i64>) -> Option<UnixMillis> {
    value.map(UnixMillis)
}

/// A stored count (a `bigint`) as the narrower type the rules use.
pub(super) fn count<T: TryFrom<i64>>(value: i64) -> ViewResult<T> {
    T::try_from(value).map_err(|_| StoreError(format!("stored count {value} out of range")))
}

/// A message or comment text: UTF-8 in a `bytea` (see `pg::schema`).
pub(super) fn text(bytes: Vec<u8>) -> ViewResult<String> {
    String::from_utf8(bytes).map_err(|_| StoreError("a stored text is not UTF-8".into()))
}

fn user_from_row(row: &Row) -> ViewResult<User> {
    user_at(row, 0)
}

/// A user from the nine columns from `at` on (see `user_where!`).
pub(super) fn user_at(row: &Row, at: usize) -> ViewResult<User> {
    Ok(User {
        id: row.get(at),
        name: row.get(at + 1),
        banned_until: millis(row.get(at + 2)),
        window_start: millis(row.get(at + 3)),
        window_count: count(row.get(at + 4))?,
        comment_window_start: millis(row.get(at + 5)),
        comment_window_count: count(row.get(at + 6))?,
        created: UnixMillis(row.get(at + 7)),
        sent_message: row.get(at + 8),
    })
}

/// A chat of `chats_of` from the nine columns from `at` on: id, created,
/// message and member counts, last message, unread, the other member's
/// name, the room's name, mentions.
pub(super) fn chat_at(row: &Row, at: usize) -> ViewResult<ChatSummary> {
    let id: ChatId = row.get(at);
    Ok(ChatSummary {
        id,
        kind: ChatKind::of(id, row.get(at + 6), row.get(at + 7)),
        created: UnixMillis(row.get(at + 1)),
        messages_number: count(row.get(at + 2))?,
        users_number: count(row.get(at + 3))?,
        unread: count(row.get(at + 5))?,
        last_message: row.get(at + 4),
        mentions: count(row.get(at + 8))?,
    })
}

const MESSAGES_UP_TO: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author
     WHERE m.chat_id = $1 AND m.id <= $2
     ORDER BY m.id DESC LIMIT $3";
const MESSAGES_AFTER: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author
     WHERE m.chat_id = $1 AND m.id > $2
     ORDER BY m.id ASC LIMIT $3";
const COMMENTS_BEFORE: &str = "SELECT c.id, u.name, c.created, c.text,
            c.edited, c.deleted, (SELECT d.name FROM users d WHERE d.id = c.deleted_by)
     FROM comments c JOIN users u ON u.id = c.author
     WHERE c.chat_id = $1 AND c.message_id = $2 AND c.id < $3
     ORDER BY c.id DESC LIMIT $4";

/// Events after a cursor with everything their bodies need, in one query
/// (the columns `event_from_row` reads). Completed by a `WHERE`.
macro_rules! events_joined {
    ($where:literal) => {
        concat!(
            "SELECT e.id, e.kind, e.chat_id, e.user_id, e.until,
                    m.id, mu.name, m.pub_date, m.text,
                    c.message_id, c.id, cu.name, c.created, c.text,
                    ch.user_a, ua.name, ch.user_b, ub.name,
                    m.comment_count, m.edited, m.deleted, md.name, m.reactions, m.mentions,
                    c.edited, c.deleted, cd.name,
                    ch.room_name, e.action, eu.name
             FROM events e
             LEFT JOIN messages m ON e.kind IN (1, 5, 6, 7) AND m.id = e.message_id
             LEFT JOIN users mu ON mu.id = m.author
             LEFT JOIN users md ON md.id = m.deleted_by
             LEFT JOIN comments c ON e.kind IN (2, 5, 6) AND c.id = e.comment_id
             LEFT JOIN users cu ON cu.id = c.author
             LEFT JOIN users cd ON cd.id = c.deleted_by
             LEFT JOIN chats ch ON ch.id = e.chat_id AND ch.id <> 1
             LEFT JOIN users ua ON ua.id = ch.user_a
             LEFT JOIN users ub ON ub.id = ch.user_b
             LEFT JOIN users eu ON e.kind = 4 AND eu.id = e.user_id
             WHERE ",
            $where
        )
    };
}

/// The events after `$1` that user `$2` may see: the public chat's, its
/// private chats', its own bans and `member` events naming it, and (issue
/// 25) the events of the rooms it is a member of. Their ids come from two
/// forward ranges of `event_readers` (everyone's and the user's) and one of
/// `events_by_chat` per room of the user, each stopped at the limit and
/// merged, then the events by primary key: the cost follows the page, not
/// the events others exchanged in between, and a room's events have no row
/// per member.
const EVENTS_VISIBLE_AFTER: &str = events_joined!(
    "e.id = ANY(ARRAY(
        SELECT event_id FROM (
            (SELECT event_id FROM event_readers WHERE reader = 0 AND event_id > $1
             ORDER BY event_id LIMIT $3)
            UNION
            (SELECT event_id FROM event_readers WHERE reader = $2 AND event_id > $1
             ORDER BY event_id LIMIT $3)
            UNION
            (SELECT x.id AS event_id
             FROM members mm JOIN chats rc ON rc.id = mm.chat_id
                  JOIN LATERAL (SELECT id FROM events WHERE chat_id = mm.chat_id AND id > $1
                                ORDER BY id LIMIT $3) x ON true
             WHERE mm.user_id = $2 AND rc.room_key IS NOT NULL)
        ) r ORDER BY event_id LIMIT $3))
     ORDER BY e.id"
);
/// Every event after `$1` (what the hub is fed).
const EVENTS_AFTER: &str = events_joined!("e.id > $1 ORDER BY e.id LIMIT $2");

fn event_from_row(row: &Row) -> ViewResult<Event> {
    let id: EventId = row.get(0);
    let missing = || StoreError(format!("event {id}: a row it refers to is gone"));
    let kind: i16 = row.get(1);
    let chat = match row.get::<_, Option<ChatId>>(2) {
        None => None,
        Some(PUBLIC_CHAT) => Some(EventChat::Public),
        Some(chat) => {
            let a: Option<UserId> = row.get(14);
            let a_name: Option<String> = row.get(15);
            let b: Option<UserId> = row.get(16);
            let b_name: Option<String> = row.get(17);
            let room: Option<String> = row.get(27);
            match (a, a_name, b, b_name, room) {
                (Some(a), Some(a_name), Some(b), Some(b_name), _) => Some(EventChat::Private {
                    id: chat,
                    members: [(a, a_name), (b, b_name)],
                }),
                (_, _, _, _, Some(name)) => Some(EventChat::Room { id: chat, name }),
                _ => return Err(missing()),
            }
        }
    };
    let body = match kind {
        EVENT_MESSAGE => {
            let mut message = super::edits::event_message(row).ok_or_else(missing)??;
            // A new message's event shows no comments.
            message.comments_total = 0;
            EventBody::Message {
                chat: chat.ok_or_else(missing)?,
                message,
            }
        }
        EVENT_COMMENT => {
            let comment = super::edits::event_comment(row).ok_or_else(missing)??;
            EventBody::Comment {
                chat: chat.ok_or_else(missing)?,
                message_id: row.get::<_, Option<MessageId>>(9).ok_or_else(missing)?,
                comment,
            }
        }
        EVENT_BANNED => EventBody::Banned {
            user: row.get::<_, Option<UserId>>(3).ok_or_else(missing)?,
            until: UnixMillis(row.get::<_, Option<i64>>(4).ok_or_else(missing)?),
        },
        EVENT_MEMBER => {
            let Some(EventChat::Room { id: room, name }) = chat else {
                return Err(missing());
            };
            EventBody::Member {
                room,
                room_name: name,
                user: row.get::<_, Option<UserId>>(3).ok_or_else(missing)?,
                user_name: row.get::<_, Option<String>>(29).ok_or_else(missing)?,
                action: row
                    .get::<_, Option<i16>>(28)
                    .and_then(action_of)
                    .ok_or_else(missing)?,
            }
        }
        EVENT_EDITED | EVENT_DELETED | EVENT_REACTION => {
            super::edits::change_event(row, kind, chat.ok_or_else(missing)?)
                .ok_or_else(missing)??
        }
        crate::event_columns::EVENT_SIGNED_OUT => EventBody::SignedOut {
            user: row.get::<_, Option<UserId>>(3).ok_or_else(missing)?,
        },
        kind => return Err(StoreError(format!("event {id}: unknown kind {kind}"))),
    };
    Ok(Event { id, body })
}

/// Up to `limit` committed events after `since`, every one, in id order:
/// what a node feeds its hub (see `crate::live`'s feed).
pub(crate) fn events_after(
    conn: &mut PgConn,
    since: EventId,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    let rows = conn
        .query(EVENTS_AFTER, &[&since, &limit])
        .map_err(store_error)?;
    rows.iter().map(event_from_row).collect()
}

/// A statement parameter.
pub(super) type Param<'a> = dyn postgres::types::ToSql + Sync + 'a;

impl PgView<'_> {
    /// Whether `sql` finds a row.
    pub(super) fn exists(&mut self, sql: &'static str, params: &[&Param<'_>]) -> ViewResult<bool> {
        let row = self.conn.query_opt(sql, params).map_err(store_error)?;
        Ok(row.is_some())
    }

    /// The first column of the row `sql` finds, if it finds one.
    pub(super) fn value<T>(
        &mut self,
        sql: &'static str,
        params: &[&Param<'_>],
    ) -> ViewResult<Option<T>>
    where
        T: for<'r> postgres::types::FromSql<'r>,
    {
        let row = self.conn.query_opt(sql, params).map_err(store_error)?;
        Ok(row.map(|row| row.get(0)))
    }

    fn user_where(
        &mut self,
        sql: &'static str,
        key: &(dyn postgres::types::ToSql + Sync),
    ) -> ViewResult<Option<User>> {
        let row = self.conn.query_opt(sql, &[key]).map_err(store_error)?;
        row.as_ref().map(user_from_row).transpose()
    }
}

/// The history statements (see `crate::history_page`).
impl HistoryRows for PgView<'_> {
    fn message_rows(
        &mut self,
        sql: &'static str,
        page: MessagePage,
    ) -> ViewResult<Vec<StoredMessage>> {
        let limit = i64::from(page.limit);
        let rows = self
            .conn
            .query(sql, &[&page.chat, &page.position, &limit])
            .map_err(store_error)?;
        rows.iter().map(super::edits::message_from_row).collect()
    }

    fn comment_rows(&mut self, chat: ChatId, page: CommentPage) -> ViewResult<Vec<StoredComment>> {
        let before = page.before.unwrap_or(CommentId::MAX);
        let rows = self
            .conn
            .query(
                COMMENTS_BEFORE,
                &[&chat, &page.message, &before, &i64::from(page.limit)],
            )
            .map_err(store_error)?;
        let mut comments = rows
            .iter()
            .map(super::edits::comment_from_row)
            .collect::<ViewResult<Vec<_>>>()?;
        comments.reverse();
        Ok(comments)
    }
}

/// The membership writes (see `crate::membership`).
impl MemberRows for PgView<'_> {
    fn insert_chat(&mut self, low: UserId, high: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        self.conn
            .query_one(statements::NEW_PRIVATE_CHAT, &[&low, &high, &now.0])
            .map(|row| row.get(0))
            .map_err(store_error)
    }

    fn insert_member(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<bool> {
        let inserted = self
            .conn
            .execute(
                statements::NEW_MEMBER,
                &[&member.user, &member.chat, &position],
            )
            .map_err(store_error)?;
        Ok(inserted == 1)
    }

    fn delete_member(&mut self, member: ChatUser) -> ViewResult<bool> {
        let removed = self
            .conn
            .execute(statements::MEMBER_REMOVED, &[&member.user, &member.chat])
            .map_err(store_error)?;
        Ok(removed == 1)
    }

    fn count_member(&mut self, sql: &'static str, chat: ChatId) -> ViewResult<()> {
        self.conn
            .execute(sql, &[&chat])
            .map(drop)
            .map_err(store_error)
    }
}

/// An event and its `event_readers` rows (`$8`, see
/// `crate::event_readers`), in one round trip.
const APPEND_EVENT: &str = "WITH e AS (
     INSERT INTO events (kind, chat_id, message_id, comment_id, user_id, until, action)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id),
 r AS (INSERT INTO event_readers (reader, event_id)
       SELECT reader, e.id FROM e, unnest($8::int8[]) AS reader)
SELECT id FROM e";

impl View for PgView<'_> {
    fn user_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<User>> {
        self.user_where(super::accounts::USER_BY_DEVICE, &&hash.0[..])
    }

    fn user_by_name(&mut self, name: &str) -> ViewResult<Option<User>> {
        self.user_where(user_where!("name_key = $1"), &name_key(name))
    }

    fn create_user(&mut self, new: NewUser<'_>) -> ViewResult<UserId> {
        let NewUser { name, hash, .. } = new;
        let id = self
            .conn
            .query_one(
                statements::NEW_USER,
                &[
                    &name,
                    &name_key(name),
                    &&hash.0[..],
                    &new.now.0,
                    &new.origin,
                ],
            )
            .map(|row| row.get(0))
            .map_err(store_error)?;
        self.add_device(NewDevice::first(id, &new))?;
        Ok(id)
    }

    fn registrations_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        // Every write transaction holds the write lock (see `crate::pg`), so
        // two nodes cannot both read nine and both insert the tenth.
        self.times(
            "SELECT created FROM users WHERE created_from = $1 AND created >= $2
             ORDER BY created DESC LIMIT $3",
            recent,
        )
    }

    fn save_user(&mut self, user: &User) -> ViewResult<()> {
        self.conn
            .execute(
                "UPDATE users SET banned_until = $2, window_start = $3, window_count = $4,
                        comment_window_start = $5, comment_window_count = $6,
                        sent_message = $7
                 WHERE id = $1",
                &[
                    &user.id,
                    &user.banned_until.map(|t| t.0),
                    &user.window_start.map(|t| t.0),
                    &i64::from(user.window_count),
                    &user.comment_window_start.map(|t| t.0),
                    &i64::from(user.comment_window_count),
                    &user.sent_message,
                ],
            )
            .map(drop)
            .map_err(store_error)
    }

    fn private_chat(&mut self, a: UserId, b: UserId) -> ViewResult<Option<ChatId>> {
        self.value(statements::PRIVATE_CHAT, &[&a.min(b), &a.max(b)])
    }

    fn create_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        self.new_private_chat(a, b, now)
    }

    fn join(&mut self, chat: ChatId, user: UserId, position: ReadPosition) -> ViewResult<()> {
        self.add_member(ChatUser { chat, user }, position)
    }

    fn read_position(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>> {
        self.value(statements::READ_POSITION, &[&user, &chat])
    }

    fn set_read_position(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<()> {
        self.conn
            .execute(
                statements::SET_READ_POSITION,
                &[&position, &member.user, &member.chat],
            )
            .map(drop)
            .map_err(store_error)
    }

    fn private_members(&mut self, chat: ChatId) -> ViewResult<Option<[(UserId, String); 2]>> {
        self.conn
            .query_opt(statements::PRIVATE_MEMBERS, &[&chat])
            .map(|row| row.map(|r| [(r.get(0), r.get(1)), (r.get(2), r.get(3))]))
            .map_err(store_error)
    }

    fn chats_of(&mut self, user: UserId) -> ViewResult<Vec<ChatSummary>> {
        let rows = self
            .conn
            .query(statements::CHATS_OF, &[&user])
            .map_err(store_error)?;
        rows.iter().map(|row| chat_at(row, 0)).collect()
    }

    fn latest_message(&mut self, chat: ChatId) -> ViewResult<MessageId> {
        self.conn
            .query_opt(statements::LATEST_MESSAGE, &[&chat])
            .map(|row| row.map_or(0, |row| row.get(0)))
            .map_err(store_error)
    }

    fn count_after(&mut self, chat: ChatId, position: ReadPosition) -> ViewResult<u64> {
        let counted: i64 = self
            .conn
            .query_one(statements::COUNT_AFTER, &[&chat, &position])
            .map(|row| row.get(0))
            .map_err(store_error)?;
        count(counted)
    }

    fn messages_up_to(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>> {
        self.messages_with_comments(MESSAGES_UP_TO, page)
    }

    fn messages_after(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>> {
        self.messages_with_comments(MESSAGES_AFTER, page)
    }

    fn append_message(&mut self, chat: ChatId, new: NewText<'_>) -> ViewResult<MessageId> {
        // One round trip for all four: the message, its words in the
        // search index and its vocabulary (issue 27) and its chat's counters.
        let lexemes = super::search::lexemes(chat, new.text);
        self.conn
            .query_opt(
                "WITH m AS (
                     INSERT INTO messages (chat_id, author, pub_date, text)
                     VALUES ($1, $2, $3, $4) RETURNING id),
                 s AS (INSERT INTO message_search (chat_id, message_id, lexemes)
                     SELECT $1, m.id, array_to_tsvector(string_to_array($5::text, ' '))
                     FROM m WHERE $5::text <> ''),
                 t AS (INSERT INTO message_search_terms (lexeme, messages)
                     SELECT l, 1 FROM m, unnest(string_to_array($5::text, ' ')) AS l
                     WHERE $5::text <> '' ORDER BY l
                     ON CONFLICT (lexeme) DO UPDATE
                     SET messages = message_search_terms.messages + 1)
                 UPDATE chats SET message_count = message_count + 1, last_message = m.id
                 FROM m WHERE chats.id = $1
                 RETURNING m.id",
                &[
                    &chat,
                    &new.author,
                    &new.now.0,
                    &new.text.as_bytes(),
                    &lexemes,
                ],
            )
            .map_err(store_error)?
            .map(|row| row.get(0))
            .ok_or_else(|| StoreError(format!("append_message: no chat {chat}")))
    }

    fn chat_of_message(&mut self, message: MessageId) -> ViewResult<Option<ChatId>> {
        self.value(statements::CHAT_OF_MESSAGE, &[&message])
    }

    fn append_comment(&mut self, message: MessageId, new: NewText<'_>) -> ViewResult<CommentId> {
        // One round trip for both: the comment and its message's count.
        self.conn
            .query_opt(
                "WITH c AS (
                     INSERT INTO comments (message_id, chat_id, author, created, text)
                     SELECT id, chat_id, $2, $3, $4 FROM messages WHERE id = $1
                     RETURNING id, message_id)
                 UPDATE messages SET comment_count = comment_count + 1
                 FROM c WHERE messages.id = c.message_id
                 RETURNING c.id",
                &[&message, &new.author, &new.now.0, &new.text.as_bytes()],
            )
            .map_err(store_error)?
            .map(|row| row.get(0))
            .ok_or_else(|| StoreError(format!("append_comment: no message {message}")))
    }

    fn comments_before(&mut self, page: CommentPage) -> ViewResult<Vec<StoredComment>> {
        self.comments_page(page)
    }

    fn append_event(&mut self, body: EventBody) -> ViewResult<EventId> {
        let row = EventColumns::of(&body);
        let id: EventId = self
            .conn
            .query_one(
                APPEND_EVENT,
                &[
                    &row.kind,
                    &row.chat,
                    &row.message,
                    &row.comment,
                    &row.user,
                    &row.until,
                    &row.action,
                    &crate::event_readers::readers(&body).as_slice(),
                ],
            )
            .map(|row| row.get(0))
            .map_err(store_error)?;
        Ok(self.recorded.keep(id, body))
    }

    fn event_head(&mut self) -> ViewResult<EventId> {
        self.conn
            .query_one("SELECT coalesce(max(id), 0) FROM events", &[])
            .map(|row| row.get(0))
            .map_err(store_error)
    }

    fn events_after(&mut self, user: UserId, since: EventId, limit: u32) -> ViewResult<Vec<Event>> {
        let rows = self
            .conn
            .query(EVENTS_VISIBLE_AFTER, &[&since, &user, &i64::from(limit)])
            .map_err(store_error)?;
        rows.iter().map(event_from_row).collect()
    }

    fn has_reported(&mut self, target: UserId, reporter: UserId) -> ViewResult<bool> {
        self.exists(statements::HAS_REPORTED, &[&target, &reporter])
    }

    fn report_count(&mut self, target: UserId) -> ViewResult<u32> {
        let counted: i64 = self
            .conn
            .query_one(statements::REPORT_COUNT, &[&target])
            .map(|row| row.get(0))
            .map_err(store_error)?;
        count(counted)
    }

    fn add_report(&mut self, target: UserId, reporter: UserId, now: UnixMillis) -> ViewResult<()> {
        // Reports are a set: a second report by the same reporter is no change.
        self.conn
            .execute(statements::ADD_REPORT, &[&target, &reporter, &now.0])
            .map(drop)
            .map_err(store_error)
    }

    fn clear_reports(&mut self, target: UserId) -> ViewResult<()> {
        self.conn
            .execute(statements::CLEAR_REPORTS, &[&target])
            .map(drop)
            .map_err(store_error)
    }

    // Issue 25: the people directory, a range of `users_by_name_key_bytes`
    // (migration 6): byte order whatever the database's collation. Name keys
    // are ASCII below 0x7f, so the names starting with `prefix` are exactly
    // those from `prefix` up to `prefix` followed by 0x7f.
    fn users_by_prefix(&mut self, page: PeoplePage<'_>) -> ViewResult<Vec<String>> {
        let (start, end) = page.key_range();
        let (after, limit) = (page.after, page.limit);
        let rows = self
            .conn
            .query(
                r#"SELECT name FROM users
                   WHERE name_key COLLATE "C" >= $1 AND name_key COLLATE "C" < $2
                     AND name_key <> $3
                   ORDER BY name_key COLLATE "C" LIMIT $4"#,
                &[&start, &end, &after.unwrap_or(""), &i64::from(limit)],
            )
            .map_err(store_error)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    // (issue 27) search
    fn search_chat(&mut self, page: SearchPage<'_>) -> ViewResult<Vec<MessageId>> {
        super::search::search_chat(
            self.conn,
            self.search_counts.as_ref(),
            page.chat,
            page.query,
            page.before,
            page.limit,
        )
    }

    fn search_candidates(
        &mut self,
        chats: &[ChatId],
        query: &agora_core::search::SearchQuery,
    ) -> ViewResult<Vec<ChatId>> {
        super::search::candidates(self.conn, &mut self.search_counts, chats, query)
    }

    // (issue 25) rooms and (issue 26) edits: the statements are in
    // `rooms.rs` and `edits.rs`.
    crate::forward::forward_view!(rooms own);
    crate::forward::forward_view!(edits own);
    crate::forward::forward_view!(own; messages_by_id);
}
