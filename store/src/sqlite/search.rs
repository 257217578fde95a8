//! Search on SQLite (issue 27): an FTS5 index of every message's words.
//!
//! - What is indexed is `agora_core::search::index_terms` of the text (the
//!   words as core defines them: case and accents folded), so SQLite and
//!   PostgreSQL index the same words. The table still tokenizes with
//!   `unicode61 remove_diacritics 2`, which leaves those words as they are.
//! - The table is contentless (`content=''`): the text lives in `messages`
//!   only; `contentless_delete=1` and `secure-delete` make a deleted row's
//!   words leave the index at once (API.md: a deleted text leaves every
//!   table and index).
//! - Visibility: a row's rowid is its chat id in the high bits and its
//!   message id in the low [`ID_BITS`] ([`key`]), so one chat's messages
//!   are one rowid range. FTS5 seeks each term's list to that range, so a
//!   search in one chat reads nothing of another chat, however often the
//!   word occurs there (see `agora_core::rules::search`).
//! - A prefix index for 2, 3 and 4 characters serves the last word's
//!   prefix match; a longer prefix merges the lists of the words it starts.
//! - Rows are written by [`index_message`] in the transaction that writes
//!   the message; an edit or a delete calls [`reindex_message`] in its
//!   own (`sqlite/edits.rs`): a deleted message is never found, an edited
//!   one by its new words only.

use agora_core::search::{index_terms, SearchQuery};
use agora_core::view::{ChatId, MessageId, StoreError, ViewResult};
use rusqlite::{params, Connection, OptionalExtension};

/// The low bits of an index rowid: the message id. Ids must stay below
/// 2^36 (68 billion messages), chat ids below 2^27.
pub(crate) const ID_BITS: u32 = 36;

/// The migration that creates the index (run, and backfilled by
/// [`backfill`], from `schema.rs`).
pub(crate) const MIGRATION: &str = r#"
CREATE VIRTUAL TABLE message_search USING fts5(
    words,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);
"#;

/// The rowid of a message in the index.
pub(crate) fn key(chat: ChatId, message: MessageId) -> ViewResult<i64> {
    let fits = (0..1 << ID_BITS).contains(&message) && (0..1 << (63 - ID_BITS)).contains(&chat);
    if !fits {
        return Err(StoreError(format!(
            "search index: message {message} of chat {chat} is past its key space"
        )));
    }
    Ok(chat << ID_BITS | message)
}

fn store_error(e: rusqlite::Error) -> StoreError {
    StoreError(format!("search index: {e}"))
}

/// Indexes a new message's words (none: nothing to index).
pub(crate) fn index_message(
    conn: &Connection,
    chat: ChatId,
    message: MessageId,
    text: &str,
) -> ViewResult<()> {
    let terms = index_terms(text);
    if terms.is_empty() {
        return Ok(());
    }
    let key = key(chat, message)?;
    conn.prepare_cached("INSERT INTO message_search (rowid, words) VALUES (?1, ?2)")
        .and_then(|mut stmt| stmt.execute(params![key, terms.join(" ")]))
        .map(drop)
        .map_err(store_error)
}

/// Takes a message's words out of the index.
fn unindex_message(conn: &Connection, chat: ChatId, message: MessageId) -> ViewResult<()> {
    let key = key(chat, message)?;
    conn.prepare_cached("DELETE FROM message_search WHERE rowid = ?1")
        .and_then(|mut stmt| stmt.execute([key]))
        .map(drop)
        .map_err(store_error)
}

/// After an edit (`text`, the new one) or a delete (`""`): the message's
/// old words leave the index (with `secure-delete`, at once) and its new
/// ones, if any, take their place.
pub(crate) fn reindex_message(conn: &Connection, message: MessageId, text: &str) -> ViewResult<()> {
    let chat: Option<ChatId> = conn
        .prepare_cached("SELECT chat_id FROM messages WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([message], |row| row.get(0)).optional())
        .map_err(store_error)?;
    let Some(chat) = chat else {
        return Ok(());
    };
    unindex_message(conn, chat, message)?;
    index_message(conn, chat, message, text)
}

/// The FTS5 query for `query`: every word as a quoted string (the words are
/// letters and digits only, so nothing in them is FTS5 syntax), the last
/// with `*`.
fn match_expression(query: &SearchQuery) -> String {
    let mut expression = String::new();
    for word in query.whole_words() {
        expression.push('"');
        expression.push_str(word);
        expression.push_str("\" ");
    }
    expression.push('"');
    expression.push_str(query.prefix());
    expression.push_str("\"*");
    expression
}

/// See `View::search_chat`.
pub(crate) fn search_chat(
    conn: &Connection,
    chat: ChatId,
    query: &SearchQuery,
    before: Option<MessageId>,
    limit: u32,
) -> ViewResult<Vec<MessageId>> {
    let below = before.map_or(1 << ID_BITS, |b| b.min(1 << ID_BITS));
    if below <= 1 {
        return Ok(Vec::new());
    }
    let low = key(chat, 0)?;
    let high = low | (below - 1);
    conn.prepare_cached(
        "SELECT rowid FROM message_search
         WHERE message_search MATCH ?1 AND rowid >= ?2 AND rowid <= ?3
         ORDER BY rowid DESC LIMIT ?4",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![match_expression(query), low, high, limit], |row| {
            row.get::<_, i64>(0)
        })?
        .map(|rowid| rowid.map(|rowid| rowid & ((1 << ID_BITS) - 1)))
        .collect()
    })
    .map_err(store_error)
}

/// Indexes every message already stored (the migration that creates the
/// index runs it in its own transaction).
pub(crate) fn backfill(conn: &Connection) -> ViewResult<()> {
    let mut stmt = conn
        .prepare("SELECT chat_id, id, text FROM messages")
        .map_err(store_error)?;
    let mut rows = stmt.query([]).map_err(store_error)?;
    while let Some(row) = rows.next().map_err(store_error)? {
        let (chat, id, text): (i64, i64, String) = (
            row.get(0).map_err(store_error)?,
            row.get(1).map_err(store_error)?,
            row.get(2).map_err(store_error)?,
        );
        index_message(conn, chat, id, &text)?;
    }
    Ok(())
}
