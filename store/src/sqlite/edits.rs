//! (issue 26) [`SqlView`]'s edits, deletions, reactions and mentions: the
//! statements, and how their rows become records.
//!
//! A deletion overwrites the text with `''` in the row itself: with the
//! writer's `PRAGMA secure_delete = ON` the freed bytes are zeroed in the
//! page, and the events table only ever named the row. An edit overwrites
//! the same way, so no old text survives either.

use super::view::{store_error, SqlView};
use crate::edit_rows::{expect_one, ranked_reactions, reaction_summary};
use crate::event_columns::{EVENT_DELETED, EVENT_EDITED};
use agora_core::events::{Change, EventBody, EventChat};
use agora_core::reactions::{summary_from_text, LISTED_USERS};
use agora_core::time::UnixMillis;
use agora_core::view::{
    CommentId, MessageId, Reaction, StoredComment, StoredMessage, UserId, UserReaction, ViewResult,
    Written,
};
use rusqlite::{params, OptionalExtension, Row};

/// A message row as the page statements select it: id, author name,
/// pub_date, text, comment count, edited, deleted, deleter's name, the
/// reaction summary, the mentions.
pub(super) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let reactions: Option<String> = row.get(8)?;
    let mentions: Option<String> = row.get(9)?;
    Ok(StoredMessage {
        id: row.get(0)?,
        author: row.get(1)?,
        pub_date: UnixMillis(row.get(2)?),
        text: row.get(3)?,
        comments: Vec::new(),
        comments_total: row.get(4)?,
        edited: row.get::<_, Option<i64>>(5)?.map(UnixMillis),
        deleted: row.get(6)?,
        deleted_by: row.get(7)?,
        reactions: reactions
            .as_deref()
            .map(summary_from_text)
            .unwrap_or_default(),
        mentions: mentions
            .as_deref()
            .map(|names| names.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

/// A comment row: id, author name, created, text, edited, deleted,
/// deleter's name.
pub(super) fn comment_from_row(row: &Row<'_>) -> rusqlite::Result<StoredComment> {
    Ok(StoredComment {
        id: row.get(0)?,
        author: row.get(1)?,
        created: UnixMillis(row.get(2)?),
        text: row.get(3)?,
        edited: row.get::<_, Option<i64>>(4)?.map(UnixMillis),
        deleted: row.get(5)?,
        deleted_by: row.get(6)?,
    })
}

const MESSAGE_BY_ID: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author WHERE m.id = ?1";

const COMMENT_BY_ID: &str = "SELECT c.id, u.name, c.created, c.text,
            c.edited, c.deleted, (SELECT d.name FROM users d WHERE d.id = c.deleted_by)
     FROM comments c JOIN users u ON u.id = c.author WHERE c.id = ?1";

/// chat, message, author, deleted.
pub(super) const MESSAGE_WRITTEN: &str =
    "SELECT chat_id, id, author, deleted FROM messages WHERE id = ?1";
pub(super) const COMMENT_WRITTEN: &str =
    "SELECT chat_id, message_id, author, deleted FROM comments WHERE id = ?1";

/// A message's reactions as its summary lists them: every emoji with its
/// count, its oldest reaction (the order of emoji) and its first users.
const REACTIONS_OF: &str = concat!(
    "SELECT emoji, name, total FROM (",
    ranked_reactions!(),
    "?1) WHERE n <= CAST(?2 AS INTEGER) ORDER BY first, id"
);

impl SqlView<'_> {
    fn run(&self, sql: &str, values: impl rusqlite::Params) -> ViewResult<usize> {
        self.connection()
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(values))
            .map_err(store_error)
    }

    pub(super) fn written(&self, sql: &str, id: i64) -> ViewResult<Option<Written>> {
        self.connection()
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_row([id], |r| {
                    Ok(Written {
                        chat: r.get(0)?,
                        message: r.get(1)?,
                        author: r.get(2)?,
                        deleted: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(store_error)
    }

    pub(super) fn message_row(&self, id: MessageId) -> ViewResult<Option<StoredMessage>> {
        self.connection()
            .prepare_cached(MESSAGE_BY_ID)
            .and_then(|mut stmt| stmt.query_row([id], message_from_row).optional())
            .map_err(store_error)
    }

    pub(super) fn comment_row(&self, id: CommentId) -> ViewResult<Option<StoredComment>> {
        self.connection()
            .prepare_cached(COMMENT_BY_ID)
            .and_then(|mut stmt| stmt.query_row([id], comment_from_row).optional())
            .map_err(store_error)
    }

    /// An `edited`, `deleted` or `reaction` event rebuilt from its rows as
    /// they are now (`None` if a row is gone).
    pub(super) fn change_event(
        &self,
        kind: i16,
        chat: EventChat,
        message_id: MessageId,
        comment: Option<CommentId>,
    ) -> ViewResult<Option<EventBody>> {
        let change = match kind {
            EVENT_EDITED => Change::Edited,
            EVENT_DELETED => Change::Deleted,
            _ => {
                return Ok(Some(EventBody::Reaction {
                    chat,
                    message_id,
                    reactions: self.reaction_summary(message_id)?,
                }))
            }
        };
        Ok(match comment {
            Some(id) => self
                .comment_row(id)?
                .map(|comment| EventBody::CommentChanged {
                    chat,
                    change,
                    message_id,
                    comment,
                }),
            None => self
                .message_row(message_id)?
                .map(|message| EventBody::MessageChanged {
                    chat,
                    change,
                    message,
                }),
        })
    }

    pub(super) fn rewrite_message(
        &mut self,
        id: MessageId,
        text: &str,
        now: UnixMillis,
    ) -> ViewResult<()> {
        let indexed = super::search::indexed(self.connection(), id)?;
        let changed = self.run(
            "UPDATE messages SET text = ?2, edited = ?3 WHERE id = ?1",
            params![id, text, now.0],
        )?;
        expect_one(changed as u64, "edit_message", id)?;
        // (issue 27) found by its new words only.
        super::search::reindex_message(self.conn, self.terms.as_deref_mut(), indexed, id, text)
    }

    pub(super) fn rewrite_comment(
        &self,
        id: CommentId,
        text: &str,
        now: UnixMillis,
    ) -> ViewResult<()> {
        let changed = self.run(
            "UPDATE comments SET text = ?2, edited = ?3 WHERE id = ?1",
            params![id, text, now.0],
        )?;
        expect_one(changed as u64, "edit_comment", id)
    }

    /// The message's mentions become `users` (in order): the names for its
    /// object, and a row per user for `/status`.
    pub(super) fn replace_mentions(&self, id: MessageId, users: &[UserId]) -> ViewResult<()> {
        self.run("DELETE FROM mentions WHERE message_id = ?1", [id])?;
        let mut names = Vec::with_capacity(users.len());
        for &user in users {
            self.run(
                "INSERT OR IGNORE INTO mentions (user_id, chat_id, message_id)
                 SELECT ?1, chat_id, id FROM messages WHERE id = ?2",
                [user, id],
            )?;
            let name: Option<String> = self
                .connection()
                .prepare_cached("SELECT name FROM users WHERE id = ?1")
                .and_then(|mut stmt| stmt.query_row([user], |r| r.get(0)).optional())
                .map_err(store_error)?;
            names.extend(name);
        }
        let names = (!names.is_empty()).then(|| names.join(" "));
        self.run(
            "UPDATE messages SET mentions = ?2 WHERE id = ?1",
            params![id, names],
        )?;
        Ok(())
    }

    pub(super) fn erase_message(&mut self, id: MessageId, by: Option<UserId>) -> ViewResult<()> {
        let indexed = super::search::indexed(self.connection(), id)?;
        let changed = self.run(
            "UPDATE messages SET text = '', deleted = 1, deleted_by = ?2 WHERE id = ?1",
            params![id, by],
        )?;
        expect_one(changed as u64, "delete_message", id)?;
        // (issue 27) never found again: its words leave the index.
        super::search::reindex_message(self.conn, self.terms.as_deref_mut(), indexed, id, "")?;
        // Who the text named says something about the text.
        self.replace_mentions(id, &[])
    }

    pub(super) fn erase_comment(&self, id: CommentId, by: Option<UserId>) -> ViewResult<()> {
        let changed = self.run(
            "UPDATE comments SET text = '', deleted = 1, deleted_by = ?2 WHERE id = ?1",
            params![id, by],
        )?;
        expect_one(changed as u64, "delete_comment", id)
    }

    /// The summary kept with the message (empty when it has none).
    pub(super) fn reaction_summary(&self, id: MessageId) -> ViewResult<Vec<Reaction>> {
        let text: Option<Option<String>> = self
            .connection()
            .prepare_cached("SELECT reactions FROM messages WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get(0)).optional())
            .map_err(store_error)?;
        Ok(text
            .flatten()
            .as_deref()
            .map(summary_from_text)
            .unwrap_or_default())
    }

    pub(super) fn reacted(&self, reaction: UserReaction<'_>) -> ViewResult<bool> {
        let UserReaction {
            message,
            emoji,
            user,
        } = reaction;
        self.connection()
            .prepare_cached(
                "SELECT 1 FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3",
            )
            .and_then(|mut stmt| stmt.exists(params![message, emoji, user]))
            .map_err(store_error)
    }

    /// Adds (`Some(now)`) or removes (`None`) a reaction, then works the
    /// message's summary out again from its reactions.
    pub(super) fn put_reaction(
        &self,
        reaction: UserReaction<'_>,
        now: Option<UnixMillis>,
    ) -> ViewResult<()> {
        let UserReaction {
            message: id,
            emoji,
            user,
        } = reaction;
        match now {
            Some(now) => self.run(
                "INSERT INTO reactions (message_id, emoji, user_id, created)
                 VALUES (?1, ?2, ?3, ?4)",
                params![id, emoji, user, now.0],
            )?,
            None => self.run(
                "DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3",
                params![id, emoji, user],
            )?,
        };
        let rows: Vec<(String, String, u64)> = self
            .connection()
            .prepare_cached(REACTIONS_OF)
            .and_then(|mut stmt| {
                stmt.query_map(params![id, LISTED_USERS as i64], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect()
            })
            .map_err(store_error)?;
        let text = reaction_summary(rows);
        self.run(
            "UPDATE messages SET reactions = ?2 WHERE id = ?1",
            params![id, text],
        )?;
        Ok(())
    }
}
