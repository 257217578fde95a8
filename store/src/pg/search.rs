//! Search on PostgreSQL (issue 27): a `tsvector` per message with a GIN
//! index, giving the answers SQLite's FTS5 index gives.
//!
//! - The lexemes are `agora_core::search::index_terms` of the text (core's
//!   words: case and accents folded), built with `array_to_tsvector`, so no
//!   text search configuration or `unaccent` dictionary gets a say: both
//!   backends index exactly the same words.
//! - Visibility: every lexeme is written `<chat id>:<word>`, so a lexeme's
//!   posting list in the GIN index holds one chat's messages only. A search
//!   in one chat reads nothing of another chat, however common the word is
//!   there (see `agora_core::rules::search`).
//! - Newest first, two ways: GIN gives its matches unordered, so a word
//!   common in a big chat would make PostgreSQL fetch and sort all of them.
//!   A search first reads the chat's newest [`WINDOW`] rows backwards by
//!   the primary key (`chat_id, message_id`), testing each: a common word
//!   fills the page there. Only when the window is not enough (a rarer
//!   word) does it ask the GIN index for the rest below the window, where
//!   the matches are few by then.
//! - The rows live in `message_search`, apart from `messages`, so that a
//!   deleted message's row goes whole (API.md: a deleted text leaves every
//!   table and index); they are written in the transaction that writes the
//!   message ([`new_rows`] for the batch flush, [`lexemes`] in `PgView`'s
//!   append for the per-command path), and an edit or a delete calls
//!   [`reindex_message`] in its own (`pg/edits.rs`).

use crate::pg::connection::{describe, PgConn};
use agora_core::search::{index_terms, SearchQuery};
use agora_core::view::{ChatId, MessageId, StoreError, ViewResult};

/// Rows a search tests one by one before it asks the GIN index.
pub(crate) const WINDOW: i64 = 256;

/// The migration that creates the index (backfilled by [`backfill`]).
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE message_search (
    chat_id     bigint NOT NULL,
    message_id  bigint NOT NULL REFERENCES messages(id),
    -- '<chat id>:<word>' for every word of the text (see pg/search.rs).
    lexemes     tsvector NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX message_search_lexemes ON message_search USING gin (lexemes);
"#;

fn store_error(e: postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

/// A message's lexemes, space-separated (the flush passes one text per
/// message and splits it in SQL): empty when the text has no word.
pub(crate) fn lexemes(chat: ChatId, text: &str) -> String {
    let mut lexemes = String::new();
    for term in index_terms(text) {
        if !lexemes.is_empty() {
            lexemes.push(' ');
        }
        lexemes.push_str(&format!("{chat}:{term}"));
    }
    lexemes
}

/// The flush's rows: `(chat, message, lexemes)` of new messages, as the
/// three arrays the batch's `FLUSH` statement takes.
pub(crate) fn new_rows<'m>(
    messages: impl Iterator<Item = (ChatId, MessageId, &'m str)>,
) -> (Vec<i64>, Vec<i64>, Vec<String>) {
    let mut rows = (Vec::new(), Vec::new(), Vec::new());
    for (chat, message, text) in messages {
        rows.0.push(chat);
        rows.1.push(message);
        rows.2.push(lexemes(chat, text));
    }
    rows
}

/// After an edit (`text`, the new one) or a delete (`""`): the message's
/// row holds its new words, or goes when it has none; one round trip.
pub(crate) fn reindex_message(conn: &mut PgConn, message: MessageId, text: &str) -> ViewResult<()> {
    let terms = index_terms(text);
    conn.execute(
        "WITH m AS (SELECT chat_id, id FROM messages WHERE id = $1),
         gone AS (DELETE FROM message_search s USING m
                  WHERE s.chat_id = m.chat_id AND s.message_id = m.id
                    AND cardinality($2::text[]) = 0)
         INSERT INTO message_search (chat_id, message_id, lexemes)
         SELECT m.chat_id, m.id,
                array_to_tsvector(ARRAY(SELECT m.chat_id || ':' || t FROM unnest($2::text[]) t))
         FROM m WHERE cardinality($2::text[]) > 0
         ON CONFLICT (chat_id, message_id) DO UPDATE SET lexemes = EXCLUDED.lexemes",
        &[&message, &terms],
    )
    .map(drop)
    .map_err(store_error)
}

/// The `tsquery` of `query` in `chat`: each word a quoted lexeme (letters
/// and digits only: nothing in them is `tsquery` syntax), the last with
/// `:*`, joined by `&`.
fn tsquery(chat: ChatId, query: &SearchQuery) -> String {
    let mut text = String::new();
    for word in query.whole_words() {
        text.push_str(&format!("'{chat}:{word}' & "));
    }
    text.push_str(&format!("'{chat}:{}':*", query.prefix()));
    text
}

/// The chat's newest rows below `$2`, each with whether it matches.
const NEWEST: &str = "SELECT message_id, lexemes @@ $3::text::tsquery FROM message_search
     WHERE chat_id = $1 AND message_id < $2 ORDER BY message_id DESC LIMIT $4";
/// The GIN index's matches below `$2`, newest first. The lexemes name the
/// chat; ordering by an expression keeps the planner off a scan in id
/// order that would test every row.
const MATCHING: &str = "SELECT message_id FROM message_search
     WHERE lexemes @@ $1::text::tsquery AND message_id < $2
     ORDER BY message_id + 0 DESC LIMIT $3";

/// See `View::search_chat`.
pub(crate) fn search_chat(
    conn: &mut PgConn,
    chat: ChatId,
    query: &SearchQuery,
    before: Option<MessageId>,
    limit: u32,
) -> ViewResult<Vec<MessageId>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let below = before.unwrap_or(i64::MAX);
    let tsquery = tsquery(chat, query);
    let newest = conn
        .query(NEWEST, &[&chat, &below, &tsquery, &WINDOW])
        .map_err(store_error)?;
    let mut found: Vec<MessageId> = newest
        .iter()
        .filter(|row| row.get::<_, bool>(1))
        .map(|row| row.get(0))
        .take(limit)
        .collect();
    let window_ended = newest.len() < WINDOW as usize;
    let Some(oldest_read) = newest.last().map(|row| row.get::<_, i64>(0)) else {
        return Ok(found);
    };
    if found.len() >= limit || window_ended {
        return Ok(found);
    }
    let rest = (limit - found.len()) as i64;
    let older = conn
        .query(MATCHING, &[&tsquery, &oldest_read, &rest])
        .map_err(store_error)?;
    found.extend(older.iter().map(|row| row.get::<_, i64>(0)));
    Ok(found)
}

/// Indexes every message already stored (the migration that creates the
/// index runs it in its own transaction), a thousand at a time.
pub(crate) fn backfill(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    let mut after = 0_i64;
    loop {
        let rows = tx.query(
            "SELECT id, chat_id, text FROM messages WHERE id > $1 ORDER BY id LIMIT 1000",
            &[&after],
        )?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.get(0);
        let (chats, ids, lexemes) = new_rows(rows.iter().map(|row| {
            let text: &[u8] = row.get(2);
            (
                row.get::<_, i64>(1),
                row.get::<_, i64>(0),
                std::str::from_utf8(text).unwrap_or(""),
            )
        }));
        tx.execute(INSERT_MANY, &[&chats, &ids, &lexemes])?;
    }
}

/// Inserts the rows [`new_rows`] made (`$1` chats, `$2` messages, `$3`
/// lexemes).
pub(crate) const INSERT_MANY: &str = "INSERT INTO message_search (chat_id, message_id, lexemes)
     SELECT x.c, x.m, array_to_tsvector(string_to_array(x.l, ' '))
     FROM unnest($1::int8[], $2::int8[], $3::text[]) AS x(c, m, l) WHERE x.l <> ''";
