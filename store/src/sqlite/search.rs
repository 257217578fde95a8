//! Search on SQLite (issue 27): an FTS5 index of every message's words.
//!
//! - What is indexed is `agora_core::search::index_terms` of the text (the
//!   words as core defines them: case and accents folded), so SQLite and
//!   PostgreSQL index the same words. The table tokenizes them with
//!   `ascii`, which splits on the spaces between them and nowhere else.
//! - The table is contentless (`content=''`), without row sizes: the text
//!   lives in `messages` only. A row leaves by FTS5's `delete` command
//!   with the words it was indexed with, and `secure-delete` takes them
//!   out of the index's pages in that transaction (API.md: a deleted text
//!   leaves every table and index). Why this shape: [`REBUILD_MIGRATION`].
//! - Visibility: a row's rowid is its chat id in the high bits and its
//!   message id in the low [`ID_BITS`] ([`key`]), so one chat's messages
//!   are one rowid range. FTS5 seeks each term's list to that range, so a
//!   search in one chat reads nothing of another chat, however often the
//!   word occurs there (see `agora_core::rules::search`).
//! - The last word is also a prefix. A prefix index for 2, 3 and 4
//!   characters serves a short one. FTS5 answers a longer one by merging
//!   the whole lists of every word it starts, in memory, whatever the rowid
//!   range: once per chat asked, so a common word (searched as a prefix of
//!   itself) cost the whole of its list 21 times for a user in 21 chats.
//!   So the index keeps its vocabulary (`message_search_terms`: every word with the
//!   number of messages holding it) and a long prefix becomes an OR of the
//!   words it starts ([`last_word`]), each seeked to the chat's range like
//!   any whole word, when those words are few and their lists long; short
//!   lists are cheaper merged, as before. A word no message holds ends the
//!   search before the index is read at all.
//! - Rows are written by [`index_message`] in the transaction that writes
//!   the message; an edit or a delete calls [`reindex_message`] in its
//!   own (`sqlite/edits.rs`): a deleted message is never found, an edited
//!   one by its new words only. The vocabulary's counts are written at
//!   once, or, in the writer, once per word at the batch's commit
//!   (`super::term_counts`).

use super::term_counts::TermCounts;
use agora_core::search::{index_terms, SearchQuery};
use agora_core::view::{ChatId, MessageId, SearchPage, StoreError, ViewResult};
use rusqlite::{params, Connection, OptionalExtension};

/// The low bits of an index rowid: the message id. Ids must stay below
/// 2^36 (68 billion messages), chat ids below 2^27.
pub(crate) const ID_BITS: u32 = 36;

/// The migration that creates the index's vocabulary,
/// `message_search_terms`: every word of an indexed text with the number
/// of messages holding it, kept in step by [`index_message`] and
/// [`reindex_message`] (a word whose last message goes leaves it: a
/// deleted text leaves every table). Backfilled by [`backfill_terms`] from
/// the messages' texts (what the index holds).
pub(crate) const TERMS_MIGRATION: &str = r#"
CREATE TABLE message_search_terms (
    term          TEXT PRIMARY KEY,
    messages      INTEGER NOT NULL
) WITHOUT ROWID;
"#;

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

/// (issue 27) The migration that makes the index again (run, and
/// backfilled by [`backfill`] from the messages, from `schema.rs`): cheaper
/// to write, smaller, the same answers, and a deleted text really gone
/// from it. (Measured: BENCHMARKS.md, "Issue 27: the search index's cost
/// per send".)
/// - `columnsize = 0` and no `contentless_delete`: that option deletes a
///   row by a tombstone, and `secure-delete` does nothing for it, so a
///   deleted message's words stayed in the index's pages until some merge
///   rewrote them; it also needs the per-row sizes table (`docsize`: a
///   row written with every message, 19.5 MB of 1,000,000, read only by
///   ranking, which search does not use). Now a row is deleted by FTS5's
///   `delete` command with the words it was indexed with (the old text's,
///   read before the change), and `secure-delete` takes them out of the
///   pages in the deletion's transaction.
/// - `tokenize = 'ascii'`: the text is `index_terms`' words joined by
///   spaces, letters and digits only, so every word is one token whatever
///   its script (`unicode61` could cut a word at a letter it does not
///   count as one, making it a phrase).
/// - Positions stay (`detail = full`), though no query needs them: without
///   them FTS5 seeks a word's list to a rowid range about twice as slowly,
///   and a search seeks every word to every chat's range (two words:
///   +13 % instructions, a 4-character prefix +59 %), for a send 2 % cheaper.
/// - The prefix indexes stay: without them `mat` (75 words) and `ma`
///   (1,094) took 0.7-1.0 s, `matr` 16 ms.
pub(crate) const REBUILD_MIGRATION: &str = r#"
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5(
    words,
    content = '',
    columnsize = 0,
    tokenize = 'ascii',
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

/// Indexes a new message's words (none: nothing to index). Its words are
/// counted into `counts` when given (the writer's batch: written at its
/// commit), else into `message_search_terms` at once.
pub(crate) fn index_message(
    conn: &Connection,
    counts: Option<&mut TermCounts>,
    chat: ChatId,
    message: MessageId,
    text: &str,
) -> ViewResult<()> {
    let terms = insert_row(conn, chat, message, text)?;
    count(conn, counts, terms, 1)
}

/// Counts `terms` `by` into the batch's `counts`, or into the table now.
fn count(
    conn: &Connection,
    counts: Option<&mut TermCounts>,
    terms: Vec<String>,
    by: i64,
) -> ViewResult<()> {
    match counts {
        Some(counts) => {
            counts.add(terms, by);
            Ok(())
        }
        None => count_terms(conn, &terms, by),
    }
}

/// Writes a message's row of the index (none: no word); its words.
fn insert_row(
    conn: &Connection,
    chat: ChatId,
    message: MessageId,
    text: &str,
) -> ViewResult<Vec<String>> {
    let terms = index_terms(text);
    if terms.is_empty() {
        return Ok(terms);
    }
    let key = key(chat, message)?;
    conn.prepare_cached("INSERT INTO message_search (rowid, words) VALUES (?1, ?2)")
        .and_then(|mut stmt| stmt.execute(params![key, terms.join(" ")]))
        .map_err(store_error)?;
    Ok(terms)
}

/// Adds `by` (1 or -1) to the message count of each of `terms` in
/// `message_search_terms`; a word counted down to no message leaves it.
fn count_terms(conn: &Connection, terms: &[String], by: i64) -> ViewResult<()> {
    count_changes(conn, terms.iter().map(|term| (term.as_str(), by)))
}

/// Adds each change's count to its word's in `message_search_terms` (a
/// new word comes in; a word counted down to no message leaves), the
/// statements prepared once for all of them.
pub(crate) fn count_changes<'t>(
    conn: &Connection,
    changes: impl IntoIterator<Item = (&'t str, i64)>,
) -> ViewResult<()> {
    // An UPDATE, then an INSERT for a new word, rather than an upsert:
    // bench/search-corpus's index-less database makes this table a view.
    let mut add = conn
        .prepare_cached("UPDATE message_search_terms SET messages = messages + ?2 WHERE term = ?1")
        .map_err(store_error)?;
    let mut new = conn
        .prepare_cached("INSERT INTO message_search_terms (term, messages) VALUES (?1, ?2)")
        .map_err(store_error)?;
    let mut gone = None;
    for (term, by) in changes {
        if add.execute(params![term, by]).map_err(store_error)? == 0 && by > 0 {
            new.execute(params![term, by]).map_err(store_error)?;
        }
        if by < 0 {
            if gone.is_none() {
                gone = Some(
                    conn.prepare_cached(
                        "DELETE FROM message_search_terms WHERE term = ?1 AND messages <= 0",
                    )
                    .map_err(store_error)?,
                );
            }
            if let Some(gone) = gone.as_mut() {
                gone.execute([term]).map_err(store_error)?;
            }
        }
    }
    Ok(())
}

/// Takes a message's words (`old_text`'s) out of the index.
fn unindex_message(
    conn: &Connection,
    counts: Option<&mut TermCounts>,
    chat: ChatId,
    message: MessageId,
    old_text: &str,
) -> ViewResult<()> {
    let terms = index_terms(old_text);
    if terms.is_empty() {
        // No words: it has no row.
        return Ok(());
    }
    // A contentless table is told the words a row was indexed with: they
    // are the old text's, which `messages` held until this transaction.
    let key = key(chat, message)?;
    conn.prepare_cached(
        "INSERT INTO message_search (message_search, rowid, words) VALUES ('delete', ?1, ?2)",
    )
    .and_then(|mut stmt| stmt.execute(params![key, terms.join(" ")]))
    .map_err(store_error)?;
    count(conn, counts, terms, -1)
}

/// What the index holds of a message: its chat and text. Read by an edit or
/// a delete before it changes the text, for [`reindex_message`].
pub(crate) struct Indexed {
    chat: ChatId,
    text: String,
}

/// The message's [`Indexed`] (`None`: no such message).
pub(crate) fn indexed(conn: &Connection, message: MessageId) -> ViewResult<Option<Indexed>> {
    conn.prepare_cached("SELECT chat_id, text FROM messages WHERE id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([message], |row| {
                Ok(Indexed {
                    chat: row.get(0)?,
                    text: row.get(1)?,
                })
            })
            .optional()
        })
        .map_err(store_error)
}

/// After an edit (`text`, the new one) or a delete (`""`) of a message
/// whose text was `old` ([`indexed`] before the change): its old words
/// leave the index (with `secure-delete`, from its pages too) and its new
/// ones, if any, take their place.
pub(crate) fn reindex_message(
    conn: &Connection,
    mut counts: Option<&mut TermCounts>,
    old: Option<Indexed>,
    message: MessageId,
    text: &str,
) -> ViewResult<()> {
    let Some(old) = old else {
        return Ok(());
    };
    unindex_message(conn, counts.as_deref_mut(), old.chat, message, &old.text)?;
    index_message(conn, counts, old.chat, message, text)
}

/// The longest prefix a prefix index serves (`prefix = '2 3 4'`).
const PREFIX_INDEX_MAX_CHARS: usize = 4;

/// The most words a long prefix is expanded into (see [`last_word`]).
const MAX_EXPANSIONS: usize = 64;

/// A long prefix is expanded when its words hold at least this many
/// messages each on average; below, merging their short lists costs less
/// than seeking each of them (measured on bench/search.sh's data: a seek
/// costs about what merging 700 list entries does).
const MESSAGES_PER_EXPANSION: i64 = 1000;

/// The FTS5 query for `query`, or `None` when the vocabulary shows that no
/// message matches: every word as a quoted string (the words are letters
/// and digits only, so nothing in them is FTS5 syntax), the last as
/// [`last_word`] makes it.
fn match_expression(conn: &Connection, query: &SearchQuery) -> ViewResult<Option<String>> {
    let mut parts = Vec::with_capacity(query.whole_words().len() + 1);
    for word in query.whole_words() {
        if messages_with(conn, word)? == 0 {
            return Ok(None);
        }
        parts.push(format!("\"{word}\""));
    }
    let Some(last) = last_word(conn, query.prefix())? else {
        return Ok(None);
    };
    parts.push(last);
    Ok(Some(parts.join(" AND ")))
}

/// How many messages hold `word` (`message_search_terms`).
fn messages_with(conn: &Connection, word: &str) -> ViewResult<i64> {
    conn.prepare_cached("SELECT messages FROM message_search_terms WHERE term = ?1")
        .and_then(|mut stmt| stmt.query_row([word], |row| row.get(0)).optional())
        .map(Option::unwrap_or_default)
        .map_err(store_error)
}

/// The last word, `prefix`, as FTS5 is asked for it (`None`: no word
/// starts with it):
/// - up to 4 characters, `"prefix"*`: a prefix index holds its list;
/// - longer, `("word1" OR "word2" ...)` of the words it starts, when they
///   are at most [`MAX_EXPANSIONS`] and hold [`MESSAGES_PER_EXPANSION`]
///   messages each on average: each list is seeked to the chat's range;
/// - otherwise `"prefix"*`, which FTS5 answers by merging the words'
///   lists whole (short ones, or too many words to seek each).
fn last_word(conn: &Connection, prefix: &str) -> ViewResult<Option<String>> {
    let as_prefix = format!("\"{prefix}\"*");
    if prefix.chars().count() <= PREFIX_INDEX_MAX_CHARS {
        return Ok(Some(as_prefix));
    }
    // In term order every word starting with `prefix` follows it at once.
    let words: Vec<(String, i64)> = conn
        .prepare_cached(
            "SELECT term, messages FROM message_search_terms
             WHERE term >= ?1 ORDER BY term LIMIT ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![prefix, MAX_EXPANSIONS as i64 + 1], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect()
        })
        .map_err(store_error)?;
    let words: Vec<(String, i64)> = words
        .into_iter()
        .take_while(|(word, _)| word.starts_with(prefix))
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    let messages: i64 = words.iter().map(|(_, messages)| messages).sum();
    let few_long_lists =
        words.len() <= MAX_EXPANSIONS && messages >= MESSAGES_PER_EXPANSION * words.len() as i64;
    if !few_long_lists {
        return Ok(Some(as_prefix));
    }
    let alternatives: Vec<String> = words
        .iter()
        .map(|(word, _)| format!("\"{word}\""))
        .collect();
    Ok(Some(format!("({})", alternatives.join(" OR "))))
}

/// See `View::search_chat`.
pub(crate) fn search_chat(conn: &Connection, page: SearchPage<'_>) -> ViewResult<Vec<MessageId>> {
    let SearchPage {
        chat,
        query,
        before,
        limit,
    } = page;
    let below = before.map_or(1 << ID_BITS, |b| b.min(1 << ID_BITS));
    if below <= 1 {
        return Ok(Vec::new());
    }
    let Some(expression) = match_expression(conn, query)? else {
        return Ok(Vec::new());
    };
    let low = key(chat, 0)?;
    let high = low | (below - 1);
    // Whether the chat holds a match at all, asked oldest first: FTS5 seeks
    // a list to a rowid range forward far faster than backward (on
    // bench/search.sh's data, 0.05 ms against 0.35 ms a chat for a word
    // common elsewhere), and most chats hold no match for most words.
    let any = conn
        .prepare_cached(
            "SELECT rowid FROM message_search
             WHERE message_search MATCH ?1 AND rowid >= ?2 AND rowid <= ?3
             ORDER BY rowid ASC LIMIT 1",
        )
        .and_then(|mut stmt| stmt.exists(params![expression, low, high]))
        .map_err(store_error)?;
    if !any {
        return Ok(Vec::new());
    }
    conn.prepare_cached(
        "SELECT rowid FROM message_search
         WHERE message_search MATCH ?1 AND rowid >= ?2 AND rowid <= ?3
         ORDER BY rowid DESC LIMIT ?4",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![expression, low, high, limit], |row| {
            row.get::<_, i64>(0)
        })?
        .map(|rowid| rowid.map(|rowid| rowid & ((1 << ID_BITS) - 1)))
        .collect()
    })
    .map_err(store_error)
}

/// Indexes every message already stored (the migration that creates the
/// index runs it in its own transaction; `message_search_terms` comes with the next
/// one, [`backfill_terms`]).
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
        insert_row(conn, chat, id, &text)?;
    }
    Ok(())
}

/// [`backfill`] for [`REBUILD_MIGRATION`], then FTS5's `optimize`: the
/// index as one segment. Every word a search asks is seeked to every
/// chat's range in every segment, and a backfill leaves some 28 of them on
/// 1,000,000 messages: merged into one, a two-word search takes a sixth of
/// the instructions (measured: BENCHMARKS.md, "Issue 27: the search
/// index's cost per send"). 6 s for 1,000,000 messages, once. New sends add
/// small segments again, which FTS5 merges as they accumulate.
pub(crate) fn rebuild(conn: &Connection) -> ViewResult<()> {
    backfill(conn)?;
    conn.execute(
        "INSERT INTO message_search (message_search) VALUES ('optimize')",
        [],
    )
    .map_err(store_error)?;
    Ok(())
}

/// Counts the words of every message already stored into `message_search_terms` (the
/// migration that creates it runs this in its own transaction).
pub(crate) fn backfill_terms(conn: &Connection) -> ViewResult<()> {
    let mut counts: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut stmt = conn
        .prepare("SELECT text FROM messages")
        .map_err(store_error)?;
    let mut rows = stmt.query([]).map_err(store_error)?;
    while let Some(row) = rows.next().map_err(store_error)? {
        let text: String = row.get(0).map_err(store_error)?;
        for term in index_terms(&text) {
            *counts.entry(term).or_default() += 1;
        }
    }
    let mut insert = conn
        .prepare("INSERT INTO message_search_terms (term, messages) VALUES (?1, ?2)")
        .map_err(store_error)?;
    for (term, messages) in counts {
        insert
            .execute(params![term, messages])
            .map_err(store_error)?;
    }
    Ok(())
}
