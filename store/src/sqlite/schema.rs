//! The database layout and its versioned migrations.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Each migration
//! runs in its own transaction together with the version bump, so a crash
//! mid-migration leaves the previous version intact.
//!
//! Ids: `messages.id` and `comments.id` are plain `INTEGER PRIMARY KEY` rowids.
//! SQLite hands out `max(id) + 1`, and since rows are never deleted an id that
//! was ever acknowledged is never handed out again (a rolled-back insert frees
//! its id, but nobody saw it). Message ids therefore increase in commit order
//! across all chats, as API.md promises.
//!
//! Counters kept in `chats` (`message_count`, `member_count`, `last_message`)
//! make `/status` O(chats of the caller) instead of O(messages);
//! `messages.comment_count` lets a page of messages read comments only for
//! the messages that have some, and only the newest of them.
//!
//! PostgreSQL's migrations (`crate::pg::schema`) are a second history of
//! the same tables, in its dialect; the two are not generated from one
//! template (an applied migration never runs again, and PostgreSQL's first
//! folds several of these). What they must not do is drift apart: a column,
//! key or index added here must be added there too, or be a listed
//! difference. `crate::schema_parity`'s test migrates a fresh database of
//! each and compares their final schemas against that list (`BY_DESIGN`,
//! each with why).

use crate::error::MigrationError;
use agora_core::time::UnixMillis;
use rusqlite::Connection;

/// One migration: the SQL that takes the schema from version `i` to `i + 1`.
/// `{now}` is replaced by the creation time of the database.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    -- ASCII-lowercased name: names are unique without regard to case.
    name_key      TEXT NOT NULL UNIQUE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash    BLOB NOT NULL UNIQUE,
    created       INTEGER NOT NULL,
    banned_until  INTEGER,
    window_start  INTEGER,
    window_count  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE chats (
    id            INTEGER PRIMARY KEY,
    -- Both NULL for the public chat; for a private chat user_a < user_b.
    user_a        INTEGER REFERENCES users(id),
    user_b        INTEGER REFERENCES users(id),
    created       INTEGER NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    member_count  INTEGER NOT NULL DEFAULT 0,
    last_message  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX chats_by_pair ON chats(user_a, user_b) WHERE user_a IS NOT NULL;

CREATE TABLE members (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    chat_id       INTEGER NOT NULL REFERENCES chats(id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (user_id, chat_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    chat_id       INTEGER NOT NULL REFERENCES chats(id),
    author        INTEGER NOT NULL REFERENCES users(id),
    pub_date      INTEGER NOT NULL,
    text          TEXT NOT NULL
);
-- History, unread ranges and unread counts are range scans of one chat.
CREATE INDEX messages_by_chat ON messages(chat_id, id);

CREATE TABLE comments (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages(id),
    -- Copied from the message so that the comments of a page of messages are
    -- one range scan (chat_id, message_id between first and last).
    chat_id       INTEGER NOT NULL,
    author        INTEGER NOT NULL REFERENCES users(id),
    created       INTEGER NOT NULL,
    text          TEXT NOT NULL
);
CREATE INDEX comments_by_chat_message ON comments(chat_id, message_id, id);

-- Standing reports ("cautions"), by target.
CREATE TABLE reports (
    target        INTEGER NOT NULL REFERENCES users(id),
    reporter      INTEGER NOT NULL REFERENCES users(id),
    created       INTEGER NOT NULL,
    PRIMARY KEY (target, reporter)
) WITHOUT ROWID;

INSERT INTO chats (id, user_a, user_b, created) VALUES (1, NULL, NULL, {now});
"#,
    // 2: the comment quota's window; each message counts its comments, so that a
    // page carries `comments_total` and reads only the newest comments of the
    // messages that have any.
    r#"
ALTER TABLE users ADD COLUMN comment_window_start INTEGER;
ALTER TABLE users ADD COLUMN comment_window_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET comment_count =
    (SELECT count(*) FROM comments c WHERE c.message_id = messages.id)
    WHERE id IN (SELECT message_id FROM comments);
"#,
    // 3: live delivery. Every change a user may see is an event; its id is
    // the cursor clients follow (`GET /events?since=`). Rows hold references,
    // not copies: a message or comment event is rebuilt from its row. Who may
    // see an event follows from its chat (public: everyone; private: the two
    // members) or, for a ban, from `user_id`.
    r#"
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    -- 1 message, 2 comment, 3 banned
    kind          INTEGER NOT NULL,
    chat_id       INTEGER REFERENCES chats(id),
    message_id    INTEGER REFERENCES messages(id),
    comment_id    INTEGER REFERENCES comments(id),
    user_id       INTEGER REFERENCES users(id),
    until         INTEGER
);
"#,
    // 4: who is asking (issue 21). `created_from` is the client address a
    // user registered from (its `client_addr::limit_key`; NULL for users
    // from before), which `--register-rate` counts by in the last hour;
    // `sent_message` says whether the user ever sent a message, which
    // `--reporter-min-age` asks of a reporter.
    r#"
ALTER TABLE users ADD COLUMN created_from TEXT;
ALTER TABLE users ADD COLUMN sent_message INTEGER NOT NULL DEFAULT 0;
UPDATE users SET sent_message = 1 WHERE id IN (SELECT DISTINCT author FROM messages);
CREATE INDEX users_by_origin ON users(created_from, created) WHERE created_from IS NOT NULL;
"#,
    // 5: idempotency keys (see `agora_core::idempotency`): each POST's key,
    // per scope (`user:<id>` or `address:<addr>`), with the fingerprint of
    // its request and the answer it got, for 24 h. Rows are added in time
    // order, so the oldest are the first rowids: pruning needs no index of
    // its own (one b-tree less to write with every keyed request).
    r#"
CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    status      INTEGER NOT NULL,
    headers     TEXT NOT NULL,
    body        BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
"#,
    // 6 (issue 21): who may read each event, so that catching up costs what
    // the reader may see, not the whole log. `reader` 0 is everyone (a public
    // chat's events); a private chat's events have a row per member, a ban
    // one for the banned user. A trigger writes the rows in the transaction
    // that inserts the event, whatever inserts it; existing events are
    // backfilled from the same columns.
    r#"
CREATE TABLE event_readers (
    reader        INTEGER NOT NULL,
    event_id      INTEGER NOT NULL,
    PRIMARY KEY (reader, event_id)
) WITHOUT ROWID;

CREATE TRIGGER events_readers AFTER INSERT ON events BEGIN
    INSERT OR IGNORE INTO event_readers (reader, event_id)
        SELECT 0, NEW.id WHERE NEW.chat_id = 1
        UNION ALL
        SELECT c.user_a, NEW.id FROM chats c WHERE c.id = NEW.chat_id AND NEW.chat_id <> 1
        UNION ALL
        SELECT c.user_b, NEW.id FROM chats c WHERE c.id = NEW.chat_id AND NEW.chat_id <> 1
        UNION ALL
        SELECT NEW.user_id, NEW.id WHERE NEW.kind = 3;
END;

INSERT OR IGNORE INTO event_readers (reader, event_id)
    SELECT 0, id FROM events WHERE chat_id = 1
    UNION ALL
    SELECT c.user_a, e.id FROM events e JOIN chats c ON c.id = e.chat_id WHERE e.chat_id <> 1
    UNION ALL
    SELECT c.user_b, e.id FROM events e JOIN chats c ON c.id = e.chat_id WHERE e.chat_id <> 1
    UNION ALL
    SELECT user_id, id FROM events WHERE kind = 3;
"#,
    // (issue 25) rooms: a room is a chat with a name (`room_key` its
    // `name_key`, unique), a visibility and a topic; `room_invites` holds the
    // users invited to it. Room events (messages, comments, `member` events,
    // kind 4 with `action`) get no `event_readers` rows: a room of 10,000
    // members costs one row per event, and catching up finds them through
    // the reader's memberships and `events_by_chat`. The trigger is written
    // again to skip rooms (a room's chat has no `user_a`) and to give a
    // `member` event one row, for the user it names (who may not be a
    // member: invited, or just left).
    r#"
ALTER TABLE chats ADD COLUMN room_name TEXT;
ALTER TABLE chats ADD COLUMN room_key TEXT;
ALTER TABLE chats ADD COLUMN room_public INTEGER;
ALTER TABLE chats ADD COLUMN room_topic TEXT;
CREATE UNIQUE INDEX chats_by_room_key ON chats(room_key) WHERE room_key IS NOT NULL;

CREATE TABLE room_invites (
    chat_id       INTEGER NOT NULL REFERENCES chats(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;

-- 1 joined, 2 left, 3 invited (a `member` event's).
ALTER TABLE events ADD COLUMN action INTEGER;
CREATE INDEX events_by_chat ON events(chat_id, id);

DROP TRIGGER events_readers;
CREATE TRIGGER events_readers AFTER INSERT ON events BEGIN
    INSERT OR IGNORE INTO event_readers (reader, event_id)
        SELECT 0, NEW.id WHERE NEW.chat_id = 1
        UNION ALL
        SELECT c.user_a, NEW.id FROM chats c
            WHERE c.id = NEW.chat_id AND NEW.chat_id <> 1 AND c.user_a IS NOT NULL
        UNION ALL
        SELECT c.user_b, NEW.id FROM chats c
            WHERE c.id = NEW.chat_id AND NEW.chat_id <> 1 AND c.user_b IS NOT NULL
        UNION ALL
        SELECT NEW.user_id, NEW.id WHERE NEW.kind IN (3, 4);
END;
"#,
    // (issue 26) edits, deletions, reactions, mentions. A deletion empties
    // `text` in place (with `secure_delete` the old bytes are zeroed) and
    // sets `deleted`; `deleted_by` is a moderator who deleted another's.
    // `reactions` holds a message's reaction summary as
    // `agora_core::reactions::summary_text` writes it (NULL: none), so a
    // page reads it with the row; the `reactions` table is the truth it is
    // worked out from. `mentions` (names as registered, space-separated)
    // is what a message object lists; the `mentions` table counts a user's
    // unread mentions per chat for `/status`.
    r#"
ALTER TABLE messages ADD COLUMN edited INTEGER;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
-- A user id; no REFERENCES, so that a test can take the column back
-- (SQLite drops no column a foreign key names).
ALTER TABLE messages ADD COLUMN deleted_by INTEGER;
ALTER TABLE messages ADD COLUMN reactions TEXT;
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE comments ADD COLUMN edited INTEGER;
ALTER TABLE comments ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN deleted_by INTEGER;

CREATE TABLE reactions (
    -- The order reactions were made in: emoji by their oldest, users in turn.
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages(id),
    emoji         TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    created       INTEGER NOT NULL
);
CREATE UNIQUE INDEX reactions_by_message ON reactions(message_id, emoji, user_id);

CREATE TABLE mentions (
    user_id       INTEGER NOT NULL,
    chat_id       INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,
    PRIMARY KEY (user_id, chat_id, message_id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions(message_id);
"#,
    // (issue 28) accounts and devices: a token per device (each user's
    // token so far becomes its first device; `users.token_hash` stays as
    // the first token's hash but no longer finds the user), passwords as
    // Argon2id PHC strings, failed logins for throttling (kept 15 minutes,
    // in time order), and the `signed_out` event (kind 8) read by its user.
    r#"
CREATE TABLE devices (
    -- AUTOINCREMENT: a revoked device's id is never given to a new one
    -- (a client may still name it).
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    -- SHA-256 of the device's bearer token; the token itself is never stored.
    token_hash    BLOB NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created       INTEGER NOT NULL,
    -- Written at most once a minute per token.
    last_used     INTEGER NOT NULL
);
CREATE INDEX devices_by_user ON devices(user_id);
INSERT INTO devices (user_id, token_hash, label, created, last_used)
    SELECT id, token_hash, '', created, created FROM users ORDER BY id;
CREATE TABLE passwords (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id),
    phc           TEXT NOT NULL
);
CREATE TABLE login_failures (
    name_key      TEXT NOT NULL,
    origin        TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures(name_key, at);
CREATE INDEX login_failures_by_origin ON login_failures(origin, at);
CREATE TRIGGER events_readers_signed_out AFTER INSERT ON events WHEN NEW.kind = 8 BEGIN
    INSERT OR IGNORE INTO event_readers (reader, event_id) VALUES (NEW.user_id, NEW.id);
END;
"#,
    // (issue 27) search: an FTS5 index of every message's words, filled
    // from the messages already stored (see `super::search`).
    super::search::MIGRATION,
    // (issue 27) search: the index's vocabulary, for long prefixes (see
    // `super::search`), counted from the messages already stored.
    super::search::TERMS_MIGRATION,
    // (issue 23) The store writes an event's `event_readers` rows itself,
    // in the statement after the event's insert (`crate::event_readers`:
    // from the audience the rules give the event, written once for both
    // backends), so the triggers go. And `events` is made again without
    // REFERENCES: its rows are written in the transaction that writes what
    // they name, and users, chats, messages and comments are never deleted
    // (a deletion empties a row in place), so the checks (a parent lookup
    // per named row, ~3k instructions a message event) never find one
    // missing. Nothing references `events`, so it can be dropped.
    r#"
DROP TRIGGER events_readers;
DROP TRIGGER events_readers_signed_out;
CREATE TABLE events_unchecked (
    id            INTEGER PRIMARY KEY,
    -- `crate::event_columns`: 1 message ... 8 signed_out
    kind          INTEGER NOT NULL,
    chat_id       INTEGER,
    message_id    INTEGER,
    comment_id    INTEGER,
    user_id       INTEGER,
    until         INTEGER,
    action        INTEGER
);
INSERT INTO events_unchecked (id, kind, chat_id, message_id, comment_id, user_id, until, action)
    SELECT id, kind, chat_id, message_id, comment_id, user_id, until, action FROM events;
DROP TABLE events;
ALTER TABLE events_unchecked RENAME TO events;
CREATE INDEX events_by_chat ON events(chat_id, id);
"#,
    // (issue 28) The server secret: its verifier, one row (see
    // `crate::secret_verifier`). And every kept idempotency key goes: the
    // kept answers of `/get-token` and `/login` held their token in the
    // clear, and the fingerprints were plain SHA-256 of bodies that may
    // hold a password; from now on both are keyed by the secret. A retry in
    // flight across the upgrade is applied again. The writer's
    // `secure_delete` zeroes the freed bytes (the WAL's copy goes at the
    // next checkpoint). (`IF NOT EXISTS`: the tests that take a database
    // back to an older migration run this one again.)
    r#"
CREATE TABLE IF NOT EXISTS server_secret (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    verifier      BLOB NOT NULL
);
DELETE FROM idempotency_keys;
"#,
    // (issue 27) search: the FTS5 index made again without row sizes or
    // tombstones (a deleted word leaves its pages) and with the `ascii`
    // tokenizer, filled from the messages (see
    // `super::search::REBUILD_MIGRATION`).
    super::search::REBUILD_MIGRATION,
];

/// What fills a new table from the rows already stored, in its migration's
/// transaction.
type Backfill = fn(&Connection) -> agora_core::view::ViewResult<()>;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`SCHEMA_VERSION`], creating it on a new database.
/// Refuses a database written by a newer build.
pub fn migrate(conn: &mut Connection, now: UnixMillis) -> Result<(), MigrationError> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(MigrationError::ReadVersion)?;
    if current > SCHEMA_VERSION {
        return Err(MigrationError::Newer {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let sql = sql.replace("{now}", &now.0.to_string());
        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .and_then(|tx| {
                tx.execute_batch(&sql)?;
                let backfill = if sql == super::search::MIGRATION {
                    Some(super::search::backfill as Backfill)
                } else if sql == super::search::REBUILD_MIGRATION {
                    Some(super::search::rebuild as Backfill)
                } else if sql == super::search::TERMS_MIGRATION {
                    Some(super::search::backfill_terms as Backfill)
                } else {
                    None
                };
                if let Some(backfill) = backfill {
                    backfill(&tx).map_err(|e| {
                        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(1), Some(e.0))
                    })?;
                }
                tx.pragma_update(None, "user_version", version)?;
                tx.commit()
            })
            .map_err(|source| MigrationError::Failed { version, source })?;
        tracing::info!(version, "applied schema migration");
    }
    Ok(())
}
