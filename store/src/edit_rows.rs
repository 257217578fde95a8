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

/// A message's reactions ranked per emoji (`r.message_id` is the wing's
/// condition after it): each with its user's name, its emoji's total, the
/// emoji's first reaction (the order of emoji) and its place among the
/// emoji's reactions (`n`, to list the first few users). Each wing's
/// `REACTIONS_OF` selects from it the rows [`reaction_summary`] reads.
macro_rules! ranked_reactions {
    () => {
        "SELECT r.emoji, u.name, r.id,
               count(*) OVER (PARTITION BY r.emoji) AS total,
               min(r.id) OVER (PARTITION BY r.emoji) AS first,
               row_number() OVER (PARTITION BY r.emoji ORDER BY r.id) AS n
        FROM reactions r JOIN users u ON u.id = r.user_id
        WHERE r.message_id = "
    };
}
pub(crate) use ranked_reactions;

/// An edit or deletion of `what` `id` changed exactly one row; otherwise
/// there was no such row, which the rules never ask for.
pub(crate) fn expect_one(changed: u64, what: &str, id: i64) -> ViewResult<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError(format!("{what}: no row {id}")))
    }
}
