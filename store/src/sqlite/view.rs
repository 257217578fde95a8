//! [`SqlView`]: the rules' [`View`] over an open SQLite transaction.

use super::row_cache::RowCache;
use super::term_counts::TermCounts;
use crate::event_columns::{
    action_of, EventColumns, EVENT_BANNED, EVENT_COMMENT, EVENT_DELETED, EVENT_EDITED,
    EVENT_MEMBER, EVENT_MESSAGE, EVENT_REACTION,
};
use crate::forward::Own;
use crate::history_page::HistoryRows;
use crate::membership::MemberRows;
use crate::recorded_events::RecordedEvents;
use crate::statements;
use crate::user_rows::user_where;
use agora_core::accounts::{Accounts, NewDevice};
use agora_core::events::{Event, EventBody, EventChat, EventId};
use agora_core::records::name_key;
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{
    ChatId, ChatKind, ChatSummary, ChatUser, CommentId, CommentPage, MessageEdit, MessageId,
    MessagePage, NewText, NewUser, PeoplePage, Reaction, ReadPosition, Recent, SearchPage,
    StoreError, StoredComment, StoredMessage, User, UserId, UserReaction, View, ViewResult,
    Written, PUBLIC_CHAT,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

mod rooms;

/// The rules' window onto the database. Build it over a `Transaction` or a
/// `Savepoint` (both deref to `Connection`): every method runs inside whatever
/// transaction is open on `conn`, and commits nothing itself. Statements go
/// through the connection's prepared-statement cache.
pub struct SqlView<'a> {
    pub(super) conn: &'a Connection,
    pub(super) rows: Option<&'a mut RowCache>,
    /// (issue 27) The writer's batch: the search vocabulary's counts go
    /// there, written at its commit; without, they are written at once.
    pub(super) terms: Option<&'a mut TermCounts>,
    /// Where the events this view records go too, for the writer to publish
    /// once they are committed.
    recorded: RecordedEvents<'a>,
}

impl<'a> SqlView<'a> {
    pub fn new(conn: &'a Connection) -> SqlView<'a> {
        SqlView {
            conn,
            rows: None,
            terms: None,
            recorded: RecordedEvents::default(),
        }
    }

    /// A view that answers user and private-chat lookups from `rows` when it
    /// can, and keeps what it reads and writes there. Only for the connection
    /// that alone changes the database; see [`RowCache`].
    pub fn with_cache(conn: &'a Connection, rows: &'a mut RowCache) -> SqlView<'a> {
        SqlView {
            conn,
            rows: Some(rows),
            terms: None,
            recorded: RecordedEvents::default(),
        }
    }

    /// Also appends every event this view records to `events` (whoever
    /// commits the transaction publishes them; whoever rolls it back drops
    /// them).
    pub fn recording_events(mut self, events: &'a mut Vec<Event>) -> SqlView<'a> {
        self.recorded = RecordedEvents::into(events);
        self
    }

    /// Counts the search vocabulary's changes into `terms` (whoever commits
    /// the transaction flushes them first; whoever rolls it back clears
    /// them) instead of writing them message by message.
    pub(crate) fn counting_terms(mut self, terms: &'a mut TermCounts) -> SqlView<'a> {
        self.terms = Some(terms);
        self
    }

    /// The connection underneath, for callers that need more than `View`.
    pub fn connection(&self) -> &'a Connection {
        self.conn
    }
}

pub(super) fn store_error(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}

fn millis(value: Option<i64>) -> Option<UnixMillis> {
    value.map(UnixMillis)
}

pub(super) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        banned_until: millis(row.get(2)?),
        window_start: millis(row.get(3)?),
        window_count: row.get(4)?,
        comment_window_start: millis(row.get(5)?),
        comment_window_count: row.get(6)?,
        created: UnixMillis(row.get(7)?),
        sent_message: row.get(8)?,
    })
}

// History pages. `LIMIT ?3` would be a plain parameter, which SQLite's planner
// reads the value of: every new binding of it then marks the statement
// expired, and the next step compiles it again (half of the writer's time in a
// `connect` run went to `sqlite3Reprepare`). Behind a CAST it is an expression,
// evaluated when the statement runs, and the prepared plan is kept.
const MESSAGES_UP_TO: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author
     WHERE m.chat_id = ?1 AND m.id <= ?2
     ORDER BY m.id DESC LIMIT CAST(?3 AS INTEGER)";
const MESSAGES_AFTER: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author
     WHERE m.chat_id = ?1 AND m.id > ?2
     ORDER BY m.id ASC LIMIT CAST(?3 AS INTEGER)";

/// An `events` row.
struct EventRow {
    id: EventId,
    kind: i16,
    chat_id: Option<ChatId>,
    message_id: Option<MessageId>,
    comment_id: Option<CommentId>,
    user_id: Option<UserId>,
    until: Option<i64>,
    /// (issue 25) a `member` event's.
    action: Option<i16>,
}

/// The events after a cursor that a user may see: the public chat's, its
/// private chats', its own bans and `member` events naming it, and (issue
/// 25) the events of the rooms it is a member of. Two forward ranges of
/// `event_readers` (everyone's and the user's) and one of `events_by_chat`
/// per room of the user, each stopped at the limit, merged: the cost
/// follows the page, not the events others exchanged in between, and a
/// room's events have no row per member.
const EVENTS_AFTER: &str = "SELECT e.id, e.kind, e.chat_id, e.message_id, e.comment_id,
            e.user_id, e.until, e.action
     FROM (SELECT event_id FROM
             (SELECT event_id FROM event_readers WHERE reader = 0 AND event_id > ?1
              ORDER BY event_id LIMIT CAST(?3 AS INTEGER))
           UNION
           SELECT event_id FROM
             (SELECT event_id FROM event_readers WHERE reader = ?2 AND event_id > ?1
              ORDER BY event_id LIMIT CAST(?3 AS INTEGER))
           UNION
           SELECT event_id FROM
             (SELECT x.id AS event_id
              FROM members m JOIN chats c ON c.id = m.chat_id
                   JOIN events x ON x.chat_id = m.chat_id AND x.id > ?1
              WHERE m.user_id = ?2 AND c.room_key IS NOT NULL
              ORDER BY x.id LIMIT CAST(?3 AS INTEGER))
           ORDER BY event_id LIMIT CAST(?3 AS INTEGER)) r
     JOIN events e ON e.id = r.event_id
     ORDER BY e.id";

/// The newest comments of one message before a comment id (all when the
/// bound is `i64::MAX`), newest first: a backward range on
/// `comments_by_chat_message`.
const COMMENTS_BEFORE: &str = "SELECT c.id, u.name, c.created, c.text,
            c.edited, c.deleted, (SELECT d.name FROM users d WHERE d.id = c.deleted_by)
     FROM comments c JOIN users u ON u.id = c.author
     WHERE c.chat_id = ?1 AND c.message_id = ?2 AND c.id < ?3
     ORDER BY c.id DESC LIMIT CAST(?4 AS INTEGER)";

impl SqlView<'_> {
    /// Runs a `SELECT id, name, banned_until, window_start, window_count`
    /// query with one parameter.
    fn user_where(&self, sql: &str, key: &dyn rusqlite::ToSql) -> ViewResult<Option<User>> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row([key], user_from_row).optional())
            .map_err(store_error)
    }

    /// A stored event's body, rebuilt from the rows it refers to.
    fn event_body(&mut self, row: &EventRow) -> ViewResult<EventBody> {
        let missing = || StoreError(format!("event {}: a row it refers to is gone", row.id));
        let chat = match row.chat_id {
            None => None,
            Some(PUBLIC_CHAT) => Some(EventChat::Public),
            Some(id) => match self.private_members(id)? {
                Some(members) => Some(EventChat::Private { id, members }),
                None => {
                    let room = self.room_of(id)?.ok_or_else(missing)?;
                    Some(EventChat::Room {
                        id,
                        name: room.name,
                    })
                }
            },
        };
        match row.kind {
            EVENT_MESSAGE => {
                let mut message = self
                    .message_row(row.message_id.ok_or_else(missing)?)?
                    .ok_or_else(missing)?;
                // A new message's event shows no comments.
                message.comments_total = 0;
                Ok(EventBody::Message {
                    chat: chat.ok_or_else(missing)?,
                    message,
                })
            }
            EVENT_COMMENT => {
                let comment = self
                    .comment_row(row.comment_id.ok_or_else(missing)?)?
                    .ok_or_else(missing)?;
                Ok(EventBody::Comment {
                    chat: chat.ok_or_else(missing)?,
                    message_id: row.message_id.ok_or_else(missing)?,
                    comment,
                })
            }
            EVENT_EDITED | EVENT_DELETED | EVENT_REACTION => {
                let chat = chat.ok_or_else(missing)?;
                let message_id = row.message_id.ok_or_else(missing)?;
                self.change_event(row.kind, chat, message_id, row.comment_id)?
                    .ok_or_else(missing)
            }
            EVENT_BANNED => Ok(EventBody::Banned {
                user: row.user_id.ok_or_else(missing)?,
                until: UnixMillis(row.until.ok_or_else(missing)?),
            }),
            EVENT_MEMBER => {
                let Some(EventChat::Room { id, name }) = chat else {
                    return Err(missing());
                };
                let user = row.user_id.ok_or_else(missing)?;
                let user_name = self
                    .conn
                    .prepare_cached("SELECT name FROM users WHERE id = ?1")
                    .and_then(|mut stmt| stmt.query_row([user], |r| r.get(0)).optional())
                    .map_err(store_error)?
                    .ok_or_else(missing)?;
                Ok(EventBody::Member {
                    room: id,
                    room_name: name,
                    user,
                    user_name,
                    action: row.action.and_then(action_of).ok_or_else(missing)?,
                })
            }
            crate::event_columns::EVENT_SIGNED_OUT => Ok(EventBody::SignedOut {
                user: row.user_id.ok_or_else(missing)?,
            }),
            kind => Err(StoreError(format!("event {}: unknown kind {kind}", row.id))),
        }
    }
}

/// The history statements (see `crate::history_page`).
impl HistoryRows for SqlView<'_> {
    fn message_rows(
        &mut self,
        sql: &'static str,
        page: MessagePage,
    ) -> ViewResult<Vec<StoredMessage>> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![page.chat, page.position, page.limit],
                    super::edits::message_from_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(store_error)
    }

    fn comment_rows(&mut self, chat: ChatId, page: CommentPage) -> ViewResult<Vec<StoredComment>> {
        let before = page.before.unwrap_or(CommentId::MAX);
        let mut comments = self
            .conn
            .prepare_cached(COMMENTS_BEFORE)
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![chat, page.message, before, page.limit],
                    super::edits::comment_from_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(store_error)?;
        comments.reverse();
        Ok(comments)
    }
}

/// The membership writes (see `crate::membership`), each keeping the row
/// cache's read positions as the database has them.
impl MemberRows for SqlView<'_> {
    fn insert_chat(&mut self, low: UserId, high: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        self.conn
            .prepare_cached(statements::NEW_PRIVATE_CHAT)
            .and_then(|mut stmt| stmt.query_row(params![low, high, now.0], |row| row.get(0)))
            .map_err(store_error)
    }

    fn insert_member(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<bool> {
        let ChatUser { chat, user } = member;
        let inserted = self
            .conn
            .prepare_cached(statements::NEW_MEMBER)
            .and_then(|mut stmt| stmt.execute(params![user, chat, position]))
            .map_err(store_error)?
            == 1;
        if let (Some(rows), true) = (self.rows.as_mut(), inserted) {
            rows.keep_read_position(chat, user, Some(position));
        }
        Ok(inserted)
    }

    fn delete_member(&mut self, member: ChatUser) -> ViewResult<bool> {
        let ChatUser { chat, user } = member;
        let removed = self
            .conn
            .prepare_cached(statements::MEMBER_REMOVED)
            .and_then(|mut stmt| stmt.execute([user, chat]))
            .map_err(store_error)?;
        if let Some(rows) = self.rows.as_mut() {
            rows.keep_read_position(chat, user, None);
        }
        Ok(removed == 1)
    }

    fn count_member(&mut self, sql: &'static str, chat: ChatId) -> ViewResult<()> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([chat]))
            .map(drop)
            .map_err(store_error)
    }
}

impl View for SqlView<'_> {
    fn user_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<User>> {
        if let Some(user) = self.rows.as_ref().and_then(|rows| rows.user_by_token(hash)) {
            return Ok(Some(user));
        }
        let user = self.user_where(super::accounts::USER_BY_DEVICE, &&hash.0[..])?;
        if let (Some(rows), Some(user)) = (self.rows.as_mut(), &user) {
            rows.keep_user(user, name_key(&user.name), Some(hash));
        }
        Ok(user)
    }

    fn user_by_name(&mut self, name: &str) -> ViewResult<Option<User>> {
        let key = name_key(name);
        if let Some(user) = self.rows.as_ref().and_then(|rows| rows.user_by_name(&key)) {
            return Ok(Some(user));
        }
        let user = self.user_where(user_where!("name_key = ?1"), &key)?;
        if let (Some(rows), Some(user)) = (self.rows.as_mut(), &user) {
            rows.keep_user(user, key, None);
        }
        Ok(user)
    }

    fn create_user(&mut self, new: NewUser<'_>) -> ViewResult<UserId> {
        let NewUser { name, hash, .. } = new;
        let id = self
            .conn
            .prepare_cached(statements::NEW_USER)
            .and_then(|mut stmt| {
                let values = params![name, name_key(name), &hash.0[..], new.now.0, new.origin];
                stmt.query_row(values, |row| row.get(0))
            })
            .map_err(store_error)?;
        self.add_device(NewDevice::first(id, &new))?;
        Ok(id)
    }

    fn registrations_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        // A backward range on `users_by_origin`.
        self.times(
            "SELECT created FROM users WHERE created_from = ?1 AND created >= ?2
             ORDER BY created DESC LIMIT CAST(?3 AS INTEGER)",
            recent,
        )
    }

    fn save_user(&mut self, user: &User) -> ViewResult<()> {
        // An unknown id changes nothing, as in the model.
        self.conn
            .prepare_cached(
                "UPDATE users SET banned_until = ?2, window_start = ?3, window_count = ?4,
                        comment_window_start = ?5, comment_window_count = ?6,
                        sent_message = ?7
                 WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    user.id,
                    user.banned_until.map(|t| t.0),
                    user.window_start.map(|t| t.0),
                    user.window_count,
                    user.comment_window_start.map(|t| t.0),
                    user.comment_window_count,
                    user.sent_message,
                ])
            })
            .map_err(store_error)?;
        if let Some(rows) = self.rows.as_mut() {
            rows.saved_user(user);
        }
        Ok(())
    }

    fn private_chat(&mut self, a: UserId, b: UserId) -> ViewResult<Option<ChatId>> {
        let members = (a.min(b), a.max(b));
        if let Some(chat) = self
            .rows
            .as_ref()
            .and_then(|rows| rows.private_chat(members))
        {
            return Ok(Some(chat));
        }
        let chat = self
            .conn
            .prepare_cached(statements::PRIVATE_CHAT)
            .and_then(|mut stmt| {
                stmt.query_row([members.0, members.1], |row| row.get(0))
                    .optional()
            })
            .map_err(store_error)?;
        if let (Some(rows), Some(chat)) = (self.rows.as_mut(), chat) {
            rows.keep_private_chat(members, chat);
        }
        Ok(chat)
    }

    fn create_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        self.new_private_chat(a, b, now)
    }

    fn join(&mut self, chat: ChatId, user: UserId, position: ReadPosition) -> ViewResult<()> {
        self.add_member(ChatUser { chat, user }, position)
    }

    fn read_position(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>> {
        if let Some(position) = self
            .rows
            .as_ref()
            .and_then(|rows| rows.read_position(chat, user))
        {
            return Ok(Some(position));
        }
        let position = self
            .conn
            .prepare_cached(statements::READ_POSITION)
            .and_then(|mut stmt| stmt.query_row([user, chat], |row| row.get(0)).optional())
            .map_err(store_error)?;
        if let (Some(rows), Some(_)) = (self.rows.as_mut(), position) {
            rows.keep_read_position(chat, user, position);
        }
        Ok(position)
    }

    fn set_read_position(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<()> {
        let ChatUser { chat, user } = member;
        let changed = self
            .conn
            .prepare_cached(statements::SET_READ_POSITION)
            .and_then(|mut stmt| stmt.execute([position, user, chat]))
            .map_err(store_error)?;
        if let Some(rows) = self.rows.as_mut() {
            // No row, no member: nothing to keep.
            rows.keep_read_position(chat, user, (changed == 1).then_some(position));
        }
        Ok(())
    }

    fn private_members(&mut self, chat: ChatId) -> ViewResult<Option<[(UserId, String); 2]>> {
        self.conn
            .prepare_cached(statements::PRIVATE_MEMBERS)
            .and_then(|mut stmt| {
                stmt.query_row([chat], |r| {
                    Ok([(r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)])
                })
                .optional()
            })
            .map_err(store_error)
    }

    fn chats_of(&mut self, user: UserId) -> ViewResult<Vec<ChatSummary>> {
        let mut stmt = self
            .conn
            .prepare_cached(statements::CHATS_OF)
            .map_err(store_error)?;
        let rows = stmt
            .query_map([user], |row| {
                let id: ChatId = row.get(0)?;
                Ok(ChatSummary {
                    id,
                    kind: ChatKind::of(id, row.get(6)?, row.get(7)?),
                    created: UnixMillis(row.get(1)?),
                    messages_number: row.get(2)?,
                    users_number: row.get(3)?,
                    unread: row.get(5)?,
                    last_message: row.get(4)?,
                    mentions: row.get(8)?,
                })
            })
            .map_err(store_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(store_error)
    }

    fn latest_message(&mut self, chat: ChatId) -> ViewResult<MessageId> {
        if let Some(latest) = self
            .rows
            .as_ref()
            .and_then(|rows| rows.latest_message(chat))
        {
            return Ok(latest);
        }
        let latest = self
            .conn
            .prepare_cached(statements::LATEST_MESSAGE)
            .and_then(|mut stmt| stmt.query_row([chat], |row| row.get(0)).optional())
            .map_err(store_error)?;
        if let (Some(rows), Some(latest)) = (self.rows.as_mut(), latest) {
            rows.keep_latest_message(chat, latest);
        }
        Ok(latest.unwrap_or_default())
    }

    fn count_after(&mut self, chat: ChatId, position: ReadPosition) -> ViewResult<u64> {
        self.conn
            .prepare_cached(statements::COUNT_AFTER)
            .and_then(|mut stmt| stmt.query_row([chat, position], |row| row.get(0)))
            .map_err(store_error)
    }

    fn messages_up_to(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>> {
        self.messages_with_comments(MESSAGES_UP_TO, page)
    }

    fn messages_after(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>> {
        self.messages_with_comments(MESSAGES_AFTER, page)
    }

    fn append_message(&mut self, chat: ChatId, new: NewText<'_>) -> ViewResult<MessageId> {
        let NewText { author, text, now } = new;
        let id = self
            .conn
            .prepare_cached(
                "INSERT INTO messages (chat_id, author, pub_date, text) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.insert(params![chat, author, now.0, text]))
            .map_err(store_error)?;
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE chats SET message_count = message_count + 1, last_message = ?2
                 WHERE id = ?1",
            )
            .and_then(|mut stmt| stmt.execute([chat, id]))
            .map_err(store_error)?;
        if changed != 1 {
            return Err(StoreError(format!("append_message: no chat {chat}")));
        }
        if let Some(rows) = self.rows.as_mut() {
            rows.keep_latest_message(chat, id);
        }
        super::search::index_message(self.conn, self.terms.as_deref_mut(), chat, id, text)?;
        Ok(id)
    }

    fn chat_of_message(&mut self, message: MessageId) -> ViewResult<Option<ChatId>> {
        self.conn
            .prepare_cached(statements::CHAT_OF_MESSAGE)
            .and_then(|mut stmt| stmt.query_row([message], |row| row.get(0)).optional())
            .map_err(store_error)
    }

    fn append_comment(&mut self, message: MessageId, new: NewText<'_>) -> ViewResult<CommentId> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO comments (message_id, chat_id, author, created, text)
                 SELECT id, chat_id, ?2, ?3, ?4 FROM messages WHERE id = ?1",
            )
            .and_then(|mut stmt| stmt.execute(params![message, new.author, new.now.0, new.text]))
            .map_err(store_error)?;
        if inserted != 1 {
            return Err(StoreError(format!("append_comment: no message {message}")));
        }
        let id = self.conn.last_insert_rowid();
        self.conn
            .prepare_cached("UPDATE messages SET comment_count = comment_count + 1 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute([message]))
            .map_err(store_error)?;
        Ok(id)
    }

    fn comments_before(&mut self, page: CommentPage) -> ViewResult<Vec<StoredComment>> {
        self.comments_page(page)
    }

    fn append_event(&mut self, body: EventBody) -> ViewResult<EventId> {
        let row = EventColumns::of(&body);
        let id = self
            .conn
            .prepare_cached(
                "INSERT INTO events (kind, chat_id, message_id, comment_id, user_id, until, action)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut stmt| {
                stmt.insert(params![
                    row.kind,
                    row.chat,
                    row.message,
                    row.comment,
                    row.user,
                    row.until,
                    row.action
                ])
            })
            .map_err(store_error)?;
        // Who may read it, in the same transaction (no trigger: see
        // `crate::event_readers`).
        for &reader in crate::event_readers::readers(&body).as_slice() {
            self.conn
                .prepare_cached("INSERT INTO event_readers (reader, event_id) VALUES (?1, ?2)")
                .and_then(|mut stmt| stmt.execute([reader, id]))
                .map_err(store_error)?;
        }
        Ok(self.recorded.keep(id, body))
    }

    fn event_head(&mut self) -> ViewResult<EventId> {
        self.conn
            .prepare_cached("SELECT coalesce(max(id), 0) FROM events")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(store_error)
    }

    fn events_after(&mut self, user: UserId, since: EventId, limit: u32) -> ViewResult<Vec<Event>> {
        let rows = self
            .conn
            .prepare_cached(EVENTS_AFTER)
            .and_then(|mut stmt| {
                stmt.query_map(params![since, user, limit], |r| {
                    Ok(EventRow {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        chat_id: r.get(2)?,
                        message_id: r.get(3)?,
                        comment_id: r.get(4)?,
                        user_id: r.get(5)?,
                        until: r.get(6)?,
                        action: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Event {
                    id: row.id,
                    body: self.event_body(row)?,
                })
            })
            .collect()
    }

    fn has_reported(&mut self, target: UserId, reporter: UserId) -> ViewResult<bool> {
        self.conn
            .prepare_cached(statements::HAS_REPORTED)
            .and_then(|mut stmt| stmt.exists([target, reporter]))
            .map_err(store_error)
    }

    fn report_count(&mut self, target: UserId) -> ViewResult<u32> {
        self.conn
            .prepare_cached(statements::REPORT_COUNT)
            .and_then(|mut stmt| stmt.query_row([target], |row| row.get(0)))
            .map_err(store_error)
    }

    fn add_report(&mut self, target: UserId, reporter: UserId, now: UnixMillis) -> ViewResult<()> {
        // Reports are a set: a second report by the same reporter is no change.
        self.conn
            .prepare_cached(statements::ADD_REPORT)
            .and_then(|mut stmt| stmt.execute([target, reporter, now.0]))
            .map_err(store_error)?;
        Ok(())
    }

    fn clear_reports(&mut self, target: UserId) -> ViewResult<()> {
        self.conn
            .prepare_cached(statements::CLEAR_REPORTS)
            .and_then(|mut stmt| stmt.execute([target]))
            .map_err(store_error)?;
        Ok(())
    }

    // Issue 25: the people directory, a range of the unique index on
    // `name_key` (BINARY collation: byte order). Name keys are ASCII below
    // 0x7f, so the names starting with `prefix` are exactly those from
    // `prefix` up to `prefix` followed by 0x7f.
    fn users_by_prefix(&mut self, page: PeoplePage<'_>) -> ViewResult<Vec<String>> {
        let (start, end) = page.key_range();
        let (after, limit) = (page.after, page.limit);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name FROM users WHERE name_key >= ?1 AND name_key < ?2 \
                 AND name_key <> ?3 ORDER BY name_key LIMIT ?4",
            )
            .map_err(store_error)?;
        let rows = stmt
            .query_map(
                rusqlite::params![start, end, after.unwrap_or(""), limit],
                |row| row.get(0),
            )
            .map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }

    // (issue 26): the statements are in `edits.rs`.
    fn message_written(&mut self, message: MessageId) -> ViewResult<Option<Written>> {
        self.written(super::edits::MESSAGE_WRITTEN, message)
    }

    fn comment_written(&mut self, comment: CommentId) -> ViewResult<Option<Written>> {
        self.written(super::edits::COMMENT_WRITTEN, comment)
    }

    fn message(&mut self, message: MessageId, comments: u32) -> ViewResult<Option<StoredMessage>> {
        let Some(mut found) = self.message_row(message)? else {
            return Ok(None);
        };
        if comments > 0 && found.comments_total > 0 {
            let chat = self.chat_of_message(message)?.unwrap_or_default();
            let newest = CommentPage {
                message,
                before: None,
                limit: comments,
            };
            found.comments = self.comment_rows(chat, newest)?;
        }
        Ok(Some(found))
    }

    fn comment(&mut self, comment: CommentId) -> ViewResult<Option<StoredComment>> {
        self.comment_row(comment)
    }

    fn edit_message(&mut self, message: MessageId, edit: MessageEdit<'_>) -> ViewResult<()> {
        self.rewrite_message(message, edit.text, edit.now)?;
        self.set_mentions(message, edit.mentions)
    }

    fn edit_comment(&mut self, comment: CommentId, text: &str, now: UnixMillis) -> ViewResult<()> {
        self.rewrite_comment(comment, text, now)
    }

    fn set_mentions(&mut self, message: MessageId, mentions: &[UserId]) -> ViewResult<()> {
        self.replace_mentions(message, mentions)
    }

    fn delete_message(&mut self, message: MessageId, by: Option<UserId>) -> ViewResult<()> {
        self.erase_message(message, by)
    }

    fn delete_comment(&mut self, comment: CommentId, by: Option<UserId>) -> ViewResult<()> {
        self.erase_comment(comment, by)
    }

    fn reactions(&mut self, message: MessageId) -> ViewResult<Vec<Reaction>> {
        self.reaction_summary(message)
    }

    fn has_reacted(&mut self, reaction: UserReaction<'_>) -> ViewResult<bool> {
        self.reacted(reaction)
    }

    fn add_reaction(&mut self, reaction: UserReaction<'_>, now: UnixMillis) -> ViewResult<()> {
        self.put_reaction(reaction, Some(now))
    }

    fn remove_reaction(&mut self, reaction: UserReaction<'_>) -> ViewResult<()> {
        self.put_reaction(reaction, None)
    }

    // (issue 27) search
    fn search_chat(&mut self, page: SearchPage<'_>) -> ViewResult<Vec<MessageId>> {
        super::search::search_chat(self.conn, page)
    }

    // (issue 25) rooms: the statements are in `rooms.rs`.
    crate::forward::forward_view!(rooms own);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::open::open_connection;
    use crate::SyncMode;
    use agora_testkit::model::history;
    use rusqlite::StatementStatus;

    #[test]
    fn history_statements_stay_prepared_across_bindings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agora.db");
        let mut conn = open_connection(&path, SyncMode::Full, UnixMillis(0)).unwrap();
        let tx = conn.transaction().unwrap();
        let mut view = SqlView::new(&tx);
        let now = UnixMillis(1_795_939_565_000);
        let ann = NewUser {
            name: "ann",
            hash: &TokenHash([1; 32]),
            origin: "127.0.0.1",
            now,
        };
        let author = view.create_user(ann).unwrap();
        let mut last = 0;
        for n in 0..30 {
            last = view
                .append_message(PUBLIC_CHAT, NewText::new(author, &format!("m{n}"), now))
                .unwrap();
        }
        for limit in [20, 20, 5, 1, 30] {
            let page = view
                .messages_up_to(history(PUBLIC_CHAT, last, limit, 20))
                .unwrap();
            assert_eq!(page.len(), limit as usize);
            assert_eq!(page.last().map(|m| m.id), Some(last));
            let unread = view.messages_after(history(PUBLIC_CHAT, 0, limit, 20));
            assert_eq!(unread.unwrap().len(), limit as usize);
        }
        view.append_comment(last, NewText::new(author, "c", now))
            .unwrap();
        for before in [None, Some(5), None] {
            let page = CommentPage {
                message: last,
                before,
                limit: 3,
            };
            view.comments_before(page).unwrap();
        }
        view.messages_up_to(history(PUBLIC_CHAT, last, 2, 20))
            .unwrap();
        for sql in [MESSAGES_UP_TO, MESSAGES_AFTER, COMMENTS_BEFORE] {
            let stmt = tx.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }
}
