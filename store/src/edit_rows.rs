//! (issue 26) What both wings' edits (`sqlite/edits.rs`, `pg/edits.rs`)
//! make of the rows they read and the counts they get back: a message's
//! reaction summary, and the check that an edit or deletion found its row.

use agora_core::reactions::summary_text;
use agora_core::view::{Reaction, StoreError, ViewResult};

/// The summary text stored in `messages.reactions` (`None` for no
/// reactions), from the rows each wing's `REACTIONS_OF` reads: (emoji, a
/// user's name, that emoji's total), grouped by emoji in first-use order.
pub(crate) fn reaction_summary(
    rows: impl IntoIterator<Item = (String, String, u64)>,
) -> Option<String> {
    let mut summary: Vec<Reaction> = Vec::new();
    for (emoji, name, total) in rows {
        match summary.last_mut() {
            Some(last) if last.emoji == emoji => last.users.push(name),
            _ => summary.push(Reaction {
                emoji,
                count: total,
                users: vec![name],
            }),
        }
    }
    (!summary.is_empty()).then(|| summary_text(&summary))
}

/// An edit or deletion of `what` `id` changed exactly one row; otherwise
/// there was no such row, which the rules never ask for.
pub(crate) fn expect_one(changed: u64, what: &str, id: i64) -> ViewResult<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError(format!("{what}: no row {id}")))
    }
}
