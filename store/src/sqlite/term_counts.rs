//! The search vocabulary's changes of one batch (`message_search_terms`,
//! see `super::search`), kept in memory and written once per distinct word
//! just before the batch's COMMIT.
//!
//! Written message by message, a word costs an `UPDATE` (and an `INSERT`
//! when it is new) each time a message holds it: the twelve words of a
//! send are twelve statements, and the same common words are counted over
//! and over within one batch. Counted here, a batch of 40 sends of the same
//! three words is three statements. Nothing reads the vocabulary inside the
//! writer's transaction (searches run on the readers, over what was
//! committed), so deferring the writes to the end of the batch changes no
//! answer.
//!
//! A command taken back (`ROLLBACK TO` its savepoint, or the whole batch
//! rolled back) takes its counts back too: the log is cut back to the mark
//! its savepoint left.

use super::search::count_changes;
use agora_core::view::ViewResult;
use rusqlite::Connection;
use std::collections::HashMap;

/// Every vocabulary change of the open transaction, in order.
#[derive(Default)]
pub(crate) struct TermCounts {
    /// (word, +1 or -1), one entry per word of a message indexed or
    /// taken out of the index.
    log: Vec<(String, i64)>,
    /// The log's length when the current command's savepoint was made.
    mark: usize,
}

impl TermCounts {
    pub(crate) fn new() -> TermCounts {
        TermCounts::default()
    }

    /// Counts each of `terms` (a message's distinct words) `by` (1: indexed,
    /// -1: taken out).
    pub(crate) fn add(&mut self, terms: Vec<String>, by: i64) {
        self.log.extend(terms.into_iter().map(|term| (term, by)));
    }

    /// A command's savepoint: what follows can be taken back alone.
    pub(crate) fn mark(&mut self) {
        self.mark = self.log.len();
    }

    /// The command since [`TermCounts::mark`] was rolled back.
    pub(crate) fn undo_to_mark(&mut self) {
        self.log.truncate(self.mark);
    }

    /// The transaction was rolled back.
    pub(crate) fn clear(&mut self) {
        self.log.clear();
        self.mark = 0;
    }

    /// Writes the batch's counts (one statement per distinct word, two for
    /// a word that leaves), in the transaction about to commit; empties
    /// the log.
    pub(crate) fn flush(&mut self, conn: &Connection) -> ViewResult<()> {
        if self.log.is_empty() {
            return Ok(());
        }
        let mut net: HashMap<String, i64> = HashMap::with_capacity(self.log.len());
        for (term, by) in self.log.drain(..) {
            *net.entry(term).or_default() += by;
        }
        self.mark = 0;
        let mut changes: Vec<(String, i64)> = net.into_iter().filter(|(_, by)| *by != 0).collect();
        // Words in order: neighbouring rows of the table's b-tree.
        changes.sort_unstable();
        count_changes(conn, changes.iter().map(|(term, by)| (term.as_str(), *by)))?;
        Ok(())
    }
}
