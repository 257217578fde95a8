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
//! - The per-chat vocabulary, `message_search_terms`: every lexeme with
//!   the number of messages holding it (what the GIN index cannot say
//!   cheaply). A search asks it first, once per chat: a chat lacking one of
//!   the words (or every word the prefix starts) is done without reading
//!   the index, which is most chats for most words.
//! - Newest first, two ways, chosen from those counts: GIN gives its
//!   matches unordered, so PostgreSQL fetches and sorts all of them. When
//!   the counts say the page should lie within the chat's newest
//!   [`MAX_WINDOW`] rows (a common word, two fairly common ones, a long
//!   prefix of a common stem), the search reads those rows backwards by the
//!   primary key (`chat_id, message_id`), testing each, and stops at a full
//!   page; what such a window misses (the words were not spread evenly)
//!   and the rarer words go to the GIN index, whose matches are few by
//!   then.
//! - The rows live in `message_search`, apart from `messages`, so that a
//!   deleted message's row goes whole (API.md: a deleted text leaves every
//!   table and index); they are written in the transaction that writes the
//!   message ([`new_rows`] for the batch flush, [`lexemes`] in `PgView`'s
//!   append for the per-command path), and an edit or a delete calls
//!   [`reindex_message`] in its own (`pg/edits.rs`); so is the vocabulary.

use crate::pg::connection::{describe, PgConn};
use agora_core::search::{index_terms, SearchQuery};
use agora_core::view::{ChatId, MessageId, StoreError, ViewResult};

/// The most rows a search tests one by one (see [`search_chat`]).
pub(crate) const MAX_WINDOW: i64 = 16_384;
/// The fewest: a window this small costs about what one probe does.
const MIN_WINDOW: i64 = 64;
/// The window a chat asked without counts reads first: a page of a word in
/// a tenth of the messages or more (on bench/search.sh's data, scanning
/// 256 rows costs 0.15 ms, less than a round trip more).
const FIRST_WINDOW: i64 = 256;
/// The window is this many times the rows the counts say hold the page
/// (the words are not spread evenly).
const WINDOW_MARGIN: f64 = 2.0;

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

/// The migration that creates the per-chat vocabulary,
/// `message_search_terms`: every lexeme of the index (`<chat id>:<word>`)
/// with the number of messages holding it, counted from the rows already
/// indexed ([`COUNT_TERMS`]). Kept in step in the transaction of every
/// send (the flush's `nterm`, `PgView`'s append) and of every edit and
/// delete ([`reindex_message`]); a lexeme whose last message goes leaves
/// it (a deleted text leaves every table). `COLLATE "C"`: the words a
/// prefix starts are one range of the primary key, in byte order.
pub(crate) const TERMS_MIGRATION: &str = r#"
-- One statement over the whole index (a minute on a million messages):
-- longer than a node's statement timeout, for this transaction only.
SET LOCAL statement_timeout = 0;
CREATE TABLE message_search_terms (
    lexeme      text COLLATE "C" PRIMARY KEY,
    messages    bigint NOT NULL
);
INSERT INTO message_search_terms (lexeme, messages)
SELECT l, count(*) FROM message_search, unnest(tsvector_to_array(lexemes)) AS l GROUP BY l;
"#;

/// Counts the lexemes of every indexed message into an empty
/// `message_search_terms` (`agora-server migrate`, after [`backfill`]).
pub(crate) const COUNT_TERMS: &str = "INSERT INTO message_search_terms (lexeme, messages)
     SELECT l, count(*) FROM message_search, unnest(tsvector_to_array(lexemes)) AS l GROUP BY l";

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

/// The vocabulary's new counts of a flush: each lexeme of `lexemes` (as
/// [`new_rows`] gives them) with the number of them holding it, in byte
/// order, each once (so that the flush's `ON CONFLICT DO UPDATE` meets
/// each row once, with no `GROUP BY` to start and run in the statement).
pub(crate) fn term_counts(lexemes: &[String]) -> (Vec<&str>, Vec<i64>) {
    let mut counts: std::collections::BTreeMap<&str, i64> = Default::default();
    for words in lexemes.iter().filter(|l| !l.is_empty()) {
        for word in words.split(' ') {
            *counts.entry(word).or_default() += 1;
        }
    }
    counts.into_iter().unzip()
}

/// The flush's rows: `(chat, message, lexemes)` of new messages, as the
/// three arrays the batch's flush statement takes.
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
/// row holds its new words, or goes when it has none, and the vocabulary
/// counts what changed: a lexeme the old text had and the new one lacks
/// one message less (its row goes with its last message), a new one one
/// more. One round trip: the rows each part writes are disjoint (`minus`
/// and `plus` share no lexeme; `tgone` and `tdown` split `minus` by count),
/// and the write lock keeps other transactions off them meanwhile.
pub(crate) fn reindex_message(conn: &mut PgConn, message: MessageId, text: &str) -> ViewResult<()> {
    let terms = index_terms(text);
    conn.execute(
        "WITH m AS (SELECT chat_id, id FROM messages WHERE id = $1),
         new AS (SELECT m.chat_id || ':' || t AS l FROM m, unnest($2::text[]) AS t),
         old AS (SELECT l FROM m, message_search s, unnest(tsvector_to_array(s.lexemes)) AS l
                 WHERE s.chat_id = m.chat_id AND s.message_id = m.id),
         minus AS (SELECT l FROM old EXCEPT SELECT l FROM new),
         plus AS (SELECT l FROM new EXCEPT SELECT l FROM old),
         gone AS (DELETE FROM message_search s USING m
                  WHERE s.chat_id = m.chat_id AND s.message_id = m.id
                    AND cardinality($2::text[]) = 0),
         put AS (INSERT INTO message_search (chat_id, message_id, lexemes)
                 SELECT m.chat_id, m.id, array_to_tsvector(ARRAY(SELECT l FROM new))
                 FROM m WHERE cardinality($2::text[]) > 0
                 ON CONFLICT (chat_id, message_id) DO UPDATE SET lexemes = EXCLUDED.lexemes),
         tgone AS (DELETE FROM message_search_terms t USING minus
                   WHERE t.lexeme = minus.l AND t.messages <= 1),
         tdown AS (UPDATE message_search_terms t SET messages = t.messages - 1 FROM minus
                   WHERE t.lexeme = minus.l AND t.messages > 1)
         INSERT INTO message_search_terms (lexeme, messages)
         SELECT l, 1 FROM plus ORDER BY l
         ON CONFLICT (lexeme) DO UPDATE SET messages = message_search_terms.messages + 1",
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

/// What the vocabulary says of a query in a chat that holds all its words.
#[derive(Clone, Debug)]
pub(crate) struct Counts {
    /// Messages holding a word the prefix starts, summed over those words
    /// (an upper bound), over at most [`PREFIX_WORDS_READ`] words.
    prefix: i64,
    /// How many words were summed: [`PREFIX_WORDS_READ`] when there are
    /// more (a short prefix of a big chat), taken as in every message.
    prefix_words: i64,
    /// Messages holding each whole word.
    whole: Vec<i64>,
    /// The chat's messages.
    messages: i64,
}

/// The most words a prefix's count sums (see [`Counts::prefix_words`]).
const PREFIX_WORDS_READ: i64 = 256;

/// The vocabulary's [`Counts`] of the chat `$chat` (an SQL expression) for
/// a query whose prefix is `$prefix`, whole words `$whole` (`text[]`),
/// summing at most `$read` words the prefix starts; `$max` is the greatest
/// `char`, which no word holds. Columns: the chat's messages, the prefix's
/// messages and words, each whole word's messages (0: the chat lacks it).
/// The words a prefix starts are the keys from `<chat>:<prefix>` up to the
/// same followed by `$max`: in byte order, every word the prefix starts
/// falls between the two. A macro, for two statements: [`COUNTS`] (many
/// chats) and [`NEWEST_WITH_COUNTS`] (the first chat, with its window).
macro_rules! chat_counts {
    ($chat:literal, $prefix:literal, $max:literal, $whole:literal, $read:literal) => {
        concat!(
            "SELECT ch.message_count, p.messages AS prefix, p.words, w.counts
             FROM chats ch
             CROSS JOIN LATERAL (
                 SELECT coalesce(sum(s.messages), 0)::int8 AS messages, count(*) AS words
                 FROM (SELECT messages FROM message_search_terms
                       WHERE lexeme >= ",
            $chat,
            " || ':' || ",
            $prefix,
            "
                         AND lexeme < ",
            $chat,
            " || ':' || ",
            $prefix,
            " || ",
            $max,
            "
                       LIMIT ",
            $read,
            ") AS s) AS p
             CROSS JOIN LATERAL (
                 SELECT ARRAY(SELECT coalesce(t.messages, 0)
                              FROM unnest(",
            $whole,
            "::text[]) AS q(l)
                              LEFT JOIN message_search_terms t
                                ON t.lexeme = ",
            $chat,
            " || ':' || q.l) AS counts
             ) AS w
             WHERE ch.id = ",
            $chat
        )
    };
}

/// The chats of `$1` (in that order) whose vocabulary holds every whole word
/// (`$4`) and a word the prefix (`$2`) starts, each with its [`Counts`]
/// (see [`chat_counts`]).
const COUNTS: &str = concat!(
    "SELECT x.c, c.message_count, c.prefix, c.words, c.counts
     FROM unnest($1::int8[]) WITH ORDINALITY AS x(c, n)
     CROSS JOIN LATERAL (",
    chat_counts!("x.c", "$2", "$3", "$4", "$5"),
    ") AS c
     WHERE c.prefix > 0 AND 0 <> ALL (c.counts)
     ORDER BY x.n"
);

/// Reads [`Counts`] from a row's columns `at..at + 4` (those of
/// [`chat_counts`]); `None` when the chat lacks a word.
fn counts_at(row: &postgres::Row, at: usize) -> Option<Counts> {
    let counts = Counts {
        messages: row.get(at),
        prefix: row.get(at + 1),
        prefix_words: row.get(at + 2),
        whole: row.get(at + 3),
    };
    (counts.prefix > 0 && !counts.whole.contains(&0)).then_some(counts)
}

/// The counts of a search's chats, read once for all of them by
/// `View::search_candidates` and used by each `search_chat` after it in
/// the same read (`PgView` keeps it).
pub(crate) struct CountsMemo {
    query: SearchQuery,
    /// Every chat asked; `None`: it lacks a word.
    chats: std::collections::HashMap<ChatId, Option<Counts>>,
}

/// Each of `chats` with its [`Counts`], `None` for those lacking a word.
fn counts(
    conn: &mut PgConn,
    chats: &[ChatId],
    query: &SearchQuery,
) -> ViewResult<Vec<(ChatId, Option<Counts>)>> {
    let rows = conn
        .query(
            COUNTS,
            &[
                &chats,
                &query.prefix(),
                &char::MAX.to_string(),
                &query.whole_words(),
                &PREFIX_WORDS_READ,
            ],
        )
        .map_err(store_error)?;
    let mut found: std::collections::HashMap<ChatId, Counts> = rows
        .iter()
        .filter_map(|row| Some((row.get::<_, i64>(0), counts_at(row, 1)?)))
        .collect();
    Ok(chats
        .iter()
        .map(|&chat| (chat, found.remove(&chat)))
        .collect())
}

/// See `View::search_candidates`: the chats that hold every word, in one
/// round trip; their counts are kept in `memo` for `search_chat`.
pub(crate) fn candidates(
    conn: &mut PgConn,
    memo: &mut Option<CountsMemo>,
    chats: &[ChatId],
    query: &SearchQuery,
) -> ViewResult<Vec<ChatId>> {
    let counted = counts(conn, chats, query)?;
    let kept = counted
        .iter()
        .filter(|(_, counts)| counts.is_some())
        .map(|&(chat, _)| chat)
        .collect();
    *memo = Some(CountsMemo {
        query: query.clone(),
        chats: counted.into_iter().collect(),
    });
    Ok(kept)
}

/// How many of the chat's newest rows a search expects to test to find
/// `limit` matches. The words are taken as independent: a message holds
/// each with the frequency the vocabulary gives it in this chat.
fn rows_to_read(counts: &Counts, limit: usize) -> f64 {
    let messages = counts.messages.max(1) as f64;
    let share = |count: i64| (count as f64 / messages).min(1.0);
    let prefix = if counts.prefix_words >= PREFIX_WORDS_READ {
        1.0
    } else {
        share(counts.prefix)
    };
    let share: f64 = counts.whole.iter().map(|&c| share(c)).product::<f64>() * prefix;
    limit as f64 / share
}

/// The chat's newest rows below `$2`, at most `$4` of them, newest first:
/// those that match, and the last of the `$4` (numbered `$4`) whether it
/// matches or not, which tells where the window ended. At most `$5` rows:
/// a common word stops the scan after a few. (A macro: the text is also
/// part of [`NEWEST_WITH_COUNTS`].)
macro_rules! newest_rows {
    () => {
        "SELECT message_id, hit, n FROM (
             SELECT message_id, hit, row_number() OVER (ORDER BY message_id DESC) AS n
             FROM (SELECT message_id, lexemes @@ $3::text::tsquery AS hit FROM message_search
                   WHERE chat_id = $1 AND message_id < $2
                   ORDER BY message_id DESC LIMIT $4) AS window_rows) AS numbered
         WHERE hit OR n = $4 LIMIT $5"
    };
}
/// See [`newest_rows`].
const NEWEST: &str = newest_rows!();
/// [`NEWEST`] for the first chat a search asks, with that chat's counts
/// ([`chat_counts`]; `$6`-`$9` are [`COUNTS`]' `$2`-`$5`) on the window's
/// last row when the window was read whole and the page is still open:
/// what the search asks next, in the same round trip. Otherwise (a common
/// word's page, found in the window) the counts are not read: inside the
/// lateral subquery, which `OFFSET 0` keeps from being merged into the
/// join, the conditions on the outer row are a filter PostgreSQL checks
/// once per row before reading anything.
const NEWEST_WITH_COUNTS: &str = concat!(
    "SELECT r.message_id, r.hit, r.n, c.message_count, c.prefix, c.words, c.counts
     FROM (SELECT message_id, hit, n, count(*) FILTER (WHERE hit) OVER () AS hits
           FROM (",
    newest_rows!(),
    ") AS newest) AS r
     LEFT JOIN LATERAL (",
    chat_counts!("$1::int8", "$6", "$7", "$8", "$9"),
    " AND r.n = $4 AND r.hits < $5 OFFSET 0) AS c ON true
     ORDER BY r.n"
);
/// The GIN index's matches below `$2`, newest first. The lexemes name the
/// chat; ordering by an expression keeps the planner off a scan in id
/// order that would test every row.
const MATCHING: &str = "SELECT message_id FROM message_search
     WHERE lexemes @@ $1::text::tsquery AND message_id < $2
     ORDER BY message_id + 0 DESC LIMIT $3";

/// See `View::search_chat`. First the vocabulary: a chat without one of
/// the words ends here. Then the cheaper of two ways to the newest
/// matches: when the words are common enough that a window of the chat's
/// newest rows (at most [`MAX_WINDOW`]) should hold the page, that window,
/// tested row by row; else, or for what the window did not find, the GIN
/// index's matches, which PostgreSQL fetches and sorts all of (below the
/// window): few, for words this rare in the chat.
pub(crate) fn search_chat(
    conn: &mut PgConn,
    memo: Option<&CountsMemo>,
    chat: ChatId,
    query: &SearchQuery,
    before: Option<MessageId>,
    limit: u32,
) -> ViewResult<Vec<MessageId>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut below = before.unwrap_or(i64::MAX);
    if limit == 0 || below <= 1 {
        return Ok(Vec::new());
    }
    let tsquery = tsquery(chat, query);
    let remembered = memo
        .filter(|memo| memo.query == *query)
        .and_then(|memo| memo.chats.get(&chat).cloned());
    let mut found = Vec::new();
    let counts = match remembered {
        Some(counts) => counts,
        None => {
            // No counts read yet (the first chat a search asks, or the one
            // chat it is limited to): its newest [`FIRST_WINDOW`] rows
            // first, which hold the page of a common word, and the chat's
            // counts when they do not, in one round trip.
            let (rows, counted) = first_window(conn, chat, below, &tsquery, limit, query)?;
            let end;
            (found, end) = rows;
            match end {
                Some(end) if found.len() < limit => below = end,
                _ => return Ok(found),
            }
            match counted {
                Some(counts) => counts,
                // Always read with the window when the page is still open;
                // should that change, asked here.
                None => counts(conn, &[chat], query)?.pop().and_then(|(_, c)| c),
            }
        }
    };
    let Some(counts) = counts else {
        return Ok(found);
    };
    let rest = limit - found.len();
    if rows_to_read(&counts, rest) <= MAX_WINDOW as f64 {
        let rows = rows_to_read(&counts, rest);
        let size = ((rows * WINDOW_MARGIN) as i64).clamp(MIN_WINDOW, MAX_WINDOW);
        let (newest, end) = window(conn, chat, below, &tsquery, size, rest)?;
        found.extend(newest);
        match end {
            Some(end) if found.len() < limit => below = end,
            _ => return Ok(found),
        }
    }
    let rest = (limit - found.len()) as i64;
    let older = conn
        .query(MATCHING, &[&tsquery, &below, &rest])
        .map_err(store_error)?;
    found.extend(older.iter().map(|row| row.get::<_, i64>(0)));
    Ok(found)
}

/// The matches among the chat's newest `size` rows below `below` (at most
/// `limit`, newest first), and the oldest row read when the window was
/// read whole (`None`: the chat has nothing older, or the page filled).
type Window = (Vec<MessageId>, Option<MessageId>);

/// The [`Window`] of `size` rows ([`NEWEST`]).
fn window(
    conn: &mut PgConn,
    chat: ChatId,
    below: MessageId,
    tsquery: &str,
    size: i64,
    limit: usize,
) -> ViewResult<Window> {
    let rows = conn
        .query(NEWEST, &[&chat, &below, &tsquery, &size, &(limit as i64)])
        .map_err(store_error)?;
    Ok(window_of(&rows, size, limit))
}

/// The [`Window`] of [`FIRST_WINDOW`] rows and, when it leaves the page
/// open, the chat's counts (`Some(None)`: it lacks a word), in one round
/// trip ([`NEWEST_WITH_COUNTS`]).
fn first_window(
    conn: &mut PgConn,
    chat: ChatId,
    below: MessageId,
    tsquery: &str,
    limit: usize,
    query: &SearchQuery,
) -> ViewResult<(Window, Option<Option<Counts>>)> {
    let rows = conn
        .query(
            NEWEST_WITH_COUNTS,
            &[
                &chat,
                &below,
                &tsquery,
                &FIRST_WINDOW,
                &(limit as i64),
                &query.prefix(),
                &char::MAX.to_string(),
                &query.whole_words(),
                &PREFIX_WORDS_READ,
            ],
        )
        .map_err(store_error)?;
    let counted = rows
        .last()
        .filter(|row| row.get::<_, Option<i64>>(3).is_some())
        .map(|row| counts_at(row, 3));
    Ok((window_of(&rows, FIRST_WINDOW, limit), counted))
}

/// The [`Window`] in rows whose first three columns are [`NEWEST`]'s.
fn window_of(rows: &[postgres::Row], size: i64, limit: usize) -> Window {
    let found: Vec<MessageId> = rows
        .iter()
        .filter(|row| row.get::<_, bool>(1))
        .map(|row| row.get::<_, i64>(0))
        .collect();
    let end = rows
        .last()
        .filter(|row| row.get::<_, i64>(2) == size)
        .map(|row| row.get::<_, i64>(0))
        .filter(|_| found.len() < limit);
    (found, end)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_counts_each_lexeme_once_over_its_messages() {
        let lexemes = vec![
            "1:load 1:test".to_owned(),
            String::new(),
            "1:test 2:load".to_owned(),
        ];
        assert_eq!(
            term_counts(&lexemes),
            (vec!["1:load", "1:test", "2:load"], vec![1, 2, 1])
        );
    }
}
