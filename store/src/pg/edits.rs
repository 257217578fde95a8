//! (issue 26) [`PgView`]'s edits, deletions, reactions and mentions, and how
//! their columns become records (the page statements' and the events
//! join's). The rows and the summaries are SQLite's (`sqlite/edits.rs`).
//!
//! A deletion empties `text` with an UPDATE. PostgreSQL writes a new row
//! version and leaves the old one in the table's pages until VACUUM
//! reclaims it, and the WAL segments hold it until they are recycled:
//! docs/API.md says what an operator runs to force both.

use super::view::{count, store_error, text, Param, PgView};
use crate::edit_rows::{expect_one, ranked_reactions, reaction_summary};
use crate::event_columns::{EVENT_DELETED, EVENT_EDITED};
use agora_core::events::{Change, EventBody, EventChat};
use agora_core::reactions::{summary_from_text, LISTED_USERS};
use agora_core::time::UnixMillis;
use agora_core::view::{
    CommentId, MessageEdit, MessageId, Reaction, StoredComment, StoredMessage, UserId,
    UserReaction, ViewResult, Written,
};
use postgres::Row;

fn names(mentions: Option<String>) -> Vec<String> {
    mentions
        .map(|names| names.split(' ').map(str::to_owned).collect())
        .unwrap_or_default()
}

fn reactions(summary: Option<String>) -> Vec<Reaction> {
    summary
        .as_deref()
        .map(summary_from_text)
        .unwrap_or_default()
}

/// A message row as the page statements select it (see `sqlite/edits.rs`).
pub(super) fn message_from_row(row: &Row) -> ViewResult<StoredMessage> {
    Ok(StoredMessage {
        id: row.get(0),
        author: row.get(1),
        pub_date: UnixMillis(row.get(2)),
        text: text(row.get(3))?,
        comments: Vec::new(),
        comments_total: count(row.get(4))?,
        edited: row.get::<_, Option<i64>>(5).map(UnixMillis),
        deleted: row.get(6),
        deleted_by: row.get(7),
        reactions: reactions(row.get(8)),
        mentions: names(row.get(9)),
    })
}

pub(super) fn comment_from_row(row: &Row) -> ViewResult<StoredComment> {
    Ok(StoredComment {
        id: row.get(0),
        author: row.get(1),
        created: UnixMillis(row.get(2)),
        text: text(row.get(3))?,
        edited: row.get::<_, Option<i64>>(4).map(UnixMillis),
        deleted: row.get(5),
        deleted_by: row.get(6),
    })
}

/// The message of an events-join row (columns 5 to 8 and 18 to 23), if
/// the row joined one.
pub(super) fn event_message(row: &Row) -> Option<ViewResult<StoredMessage>> {
    let id: MessageId = row.get::<_, Option<i64>>(5)?;
    let author: String = row.get::<_, Option<String>>(6)?;
    let pub_date = UnixMillis(row.get::<_, Option<i64>>(7)?);
    let body: Vec<u8> = row.get::<_, Option<Vec<u8>>>(8)?;
    let comments_total: i64 = row.get::<_, Option<i64>>(18)?;
    Some((|| {
        Ok(StoredMessage {
            id,
            author,
            pub_date,
            text: text(body)?,
            comments: Vec::new(),
            comments_total: count(comments_total)?,
            edited: row.get::<_, Option<i64>>(19).map(UnixMillis),
            deleted: row.get::<_, Option<bool>>(20).unwrap_or_default(),
            deleted_by: row.get(21),
            reactions: reactions(row.get(22)),
            mentions: names(row.get(23)),
        })
    })())
}

/// The comment of an events-join row (columns 10 to 13 and 24 to 26).
pub(super) fn event_comment(row: &Row) -> Option<ViewResult<StoredComment>> {
    let id: CommentId = row.get::<_, Option<i64>>(10)?;
    let author: String = row.get::<_, Option<String>>(11)?;
    let created = UnixMillis(row.get::<_, Option<i64>>(12)?);
    let body: Vec<u8> = row.get::<_, Option<Vec<u8>>>(13)?;
    Some(text(body).map(|text| StoredComment {
        id,
        author,
        created,
        text,
        edited: row.get::<_, Option<i64>>(24).map(UnixMillis),
        deleted: row.get::<_, Option<bool>>(25).unwrap_or_default(),
        deleted_by: row.get(26),
    }))
}

/// An `edited`, `deleted` or `reaction` event from its events-join row.
pub(super) fn change_event(row: &Row, kind: i16, chat: EventChat) -> Option<ViewResult<EventBody>> {
    let change = match kind {
        EVENT_EDITED => Change::Edited,
        EVENT_DELETED => Change::Deleted,
        _ => {
            let message_id = row.get::<_, Option<i64>>(5)?;
            return Some(Ok(EventBody::Reaction {
                chat,
                message_id,
                reactions: reactions(row.get(22)),
            }));
        }
    };
    if let Some(comment) = event_comment(row) {
        let message_id = row.get::<_, Option<i64>>(9)?;
        return Some(comment.map(|comment| EventBody::CommentChanged {
            chat,
            change,
            message_id,
            comment,
        }));
    }
    Some(
        event_message(row)?.map(|message| EventBody::MessageChanged {
            chat,
            change,
            message,
        }),
    )
}

const MESSAGE_BY_ID: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author WHERE m.id = $1";

/// [`MESSAGE_BY_ID`] for an array of ids (in no order).
const MESSAGES_BY_ID: &str = "SELECT m.id, u.name, m.pub_date, m.text, m.comment_count,
            m.edited, m.deleted, (SELECT d.name FROM users d WHERE d.id = m.deleted_by),
            m.reactions, m.mentions
     FROM messages m JOIN users u ON u.id = m.author WHERE m.id = ANY($1::int8[])";

const COMMENT_BY_ID: &str = "SELECT c.id, u.name, c.created, c.text,
            c.edited, c.deleted, (SELECT d.name FROM users d WHERE d.id = c.deleted_by)
     FROM comments c JOIN users u ON u.id = c.author WHERE c.id = $1";

const COMMENTS_NEWEST: &str = "SELECT c.id, u.name, c.created, c.text,
            c.edited, c.deleted, (SELECT d.name FROM users d WHERE d.id = c.deleted_by)
     FROM comments c JOIN users u ON u.id = c.author
     WHERE c.message_id = $1 ORDER BY c.id DESC LIMIT $2";

/// See `sqlite/edits.rs`.
const REACTIONS_OF: &str = concat!(
    "SELECT emoji, name, total FROM (",
    ranked_reactions!(),
    "$1) x WHERE n <= $2 ORDER BY first, id"
);

impl PgView<'_> {
    fn written(&mut self, sql: &'static str, id: i64) -> ViewResult<Option<Written>> {
        let row = self
            .connection()
            .query_opt(sql, &[&id])
            .map_err(store_error)?;
        Ok(row.map(|r| Written {
            chat: r.get(0),
            message: r.get(1),
            author: r.get(2),
            deleted: r.get(3),
        }))
    }

    pub(super) fn message_written(&mut self, id: MessageId) -> ViewResult<Option<Written>> {
        self.written(
            "SELECT chat_id, id, author, deleted FROM messages WHERE id = $1",
            id,
        )
    }

    pub(super) fn comment_written(&mut self, id: CommentId) -> ViewResult<Option<Written>> {
        self.written(
            "SELECT chat_id, message_id, author, deleted FROM comments WHERE id = $1",
            id,
        )
    }

    pub(super) fn message(
        &mut self,
        id: MessageId,
        comments: u32,
    ) -> ViewResult<Option<StoredMessage>> {
        let row = self
            .connection()
            .query_opt(MESSAGE_BY_ID, &[&id])
            .map_err(store_error)?;
        let Some(mut message) = row.as_ref().map(message_from_row).transpose()? else {
            return Ok(None);
        };
        self.fill_comments(&mut message, comments)?;
        Ok(Some(message))
    }

    /// Reads the newest `comments` comments of `message`, oldest first
    /// (none asked, or none there: no round trip).
    fn fill_comments(&mut self, message: &mut StoredMessage, comments: u32) -> ViewResult<()> {
        if comments > 0 && message.comments_total > 0 {
            let rows = self
                .connection()
                .query(COMMENTS_NEWEST, &[&message.id, &i64::from(comments)])
                .map_err(store_error)?;
            message.comments = rows
                .iter()
                .rev()
                .map(comment_from_row)
                .collect::<ViewResult<_>>()?;
        }
        Ok(())
    }

    /// `View::messages_by_id`: the messages in one round trip, then the
    /// comments of those that have any, as [`Self::message`] reads them.
    pub(super) fn messages_by_id(
        &mut self,
        ids: &[MessageId],
        comments: u32,
    ) -> ViewResult<Vec<Option<StoredMessage>>> {
        let rows = self
            .connection()
            .query(MESSAGES_BY_ID, &[&ids])
            .map_err(store_error)?;
        let mut by_id: std::collections::HashMap<MessageId, StoredMessage> = rows
            .iter()
            .map(|row| message_from_row(row).map(|m| (m.id, m)))
            .collect::<ViewResult<_>>()?;
        let mut messages = Vec::with_capacity(ids.len());
        for id in ids {
            let mut message = by_id.remove(id);
            if let Some(message) = message.as_mut() {
                self.fill_comments(message, comments)?;
            }
            messages.push(message);
        }
        Ok(messages)
    }

    pub(super) fn comment(&mut self, id: CommentId) -> ViewResult<Option<StoredComment>> {
        let row = self
            .connection()
            .query_opt(COMMENT_BY_ID, &[&id])
            .map_err(store_error)?;
        row.as_ref().map(comment_from_row).transpose()
    }

    /// Runs `sql`, the edit or deletion `what` of row `id` (`$1`, and
    /// `rest` after it), and checks that it found its row.
    fn change_row(
        &mut self,
        what: &str,
        id: i64,
        sql: &'static str,
        rest: &[&Param<'_>],
    ) -> ViewResult<()> {
        let params: Vec<&Param<'_>> = std::iter::once(&id as &Param<'_>)
            .chain(rest.iter().copied())
            .collect();
        let changed = self
            .connection()
            .execute(sql, &params)
            .map_err(store_error)?;
        expect_one(changed, what, id)
    }

    pub(super) fn edit_message(&mut self, id: MessageId, edit: MessageEdit<'_>) -> ViewResult<()> {
        let sql = "UPDATE messages SET text = $2, edited = $3 WHERE id = $1";
        let text = edit.text.as_bytes();
        self.change_row("edit_message", id, sql, &[&text, &edit.now.0])?;
        // (issue 27) found by its new words only.
        super::search::reindex_message(self.connection(), id, edit.text)?;
        self.set_mentions(id, edit.mentions)
    }

    pub(super) fn edit_comment(
        &mut self,
        id: CommentId,
        body: &str,
        now: UnixMillis,
    ) -> ViewResult<()> {
        let sql = "UPDATE comments SET text = $2, edited = $3 WHERE id = $1";
        self.change_row("edit_comment", id, sql, &[&body.as_bytes(), &now.0])
    }

    /// The mentions become `users`, in order: their rows (for `/status`)
    /// and the names the message object lists, in two statements.
    pub(super) fn set_mentions(&mut self, id: MessageId, users: &[UserId]) -> ViewResult<()> {
        let conn = self.connection();
        conn.execute(
            "WITH gone AS (DELETE FROM mentions WHERE message_id = $1)
             INSERT INTO mentions (user_id, chat_id, message_id)
             SELECT DISTINCT u, m.chat_id, m.id FROM messages m, unnest($2::bigint[]) u
             WHERE m.id = $1
             ON CONFLICT DO NOTHING",
            &[&id, &users],
        )
        .map_err(store_error)?;
        conn.execute(
            "UPDATE messages SET mentions = (
                 SELECT string_agg(u.name, ' ' ORDER BY x.ord)
                 FROM unnest($2::bigint[]) WITH ORDINALITY x(id, ord)
                 JOIN users u ON u.id = x.id)
             WHERE id = $1",
            &[&id, &users],
        )
        .map_err(store_error)?;
        Ok(())
    }

    pub(super) fn delete_message(&mut self, id: MessageId, by: Option<UserId>) -> ViewResult<()> {
        let sql = "UPDATE messages SET text = ''::bytea, deleted = true, deleted_by = $2
                   WHERE id = $1";
        self.change_row("delete_message", id, sql, &[&by])?;
        // (issue 27) never found again: its words leave the index.
        super::search::reindex_message(self.connection(), id, "")?;
        self.set_mentions(id, &[])
    }

    pub(super) fn delete_comment(&mut self, id: CommentId, by: Option<UserId>) -> ViewResult<()> {
        let sql = "UPDATE comments SET text = ''::bytea, deleted = true, deleted_by = $2
                   WHERE id = $1";
        self.change_row("delete_comment", id, sql, &[&by])
    }

    pub(super) fn reactions(&mut self, id: MessageId) -> ViewResult<Vec<Reaction>> {
        let row = self
            .connection()
            .query_opt("SELECT reactions FROM messages WHERE id = $1", &[&id])
            .map_err(store_error)?;
        Ok(reactions(row.and_then(|r| r.get(0))))
    }

    pub(super) fn has_reacted(&mut self, reaction: UserReaction<'_>) -> ViewResult<bool> {
        let UserReaction {
            message,
            emoji,
            user,
        } = reaction;
        let sql = "SELECT 1 FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3";
        self.exists(sql, &[&message, &emoji, &user])
    }

    pub(super) fn add_reaction(
        &mut self,
        reaction: UserReaction<'_>,
        now: UnixMillis,
    ) -> ViewResult<()> {
        self.put_reaction(reaction, Some(now))
    }

    pub(super) fn remove_reaction(&mut self, reaction: UserReaction<'_>) -> ViewResult<()> {
        self.put_reaction(reaction, None)
    }

    /// Adds (`Some(now)`) or removes (`None`) a reaction, then works the
    /// message's summary out again from its reactions.
    fn put_reaction(
        &mut self,
        reaction: UserReaction<'_>,
        now: Option<UnixMillis>,
    ) -> ViewResult<()> {
        let UserReaction {
            message,
            emoji,
            user,
        } = reaction;
        match now {
            Some(now) => self.connection().execute(
                "INSERT INTO reactions (message_id, emoji, user_id, created)
                 VALUES ($1, $2, $3, $4)",
                &[&message, &emoji, &user, &now.0],
            ),
            None => self.connection().execute(
                "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3",
                &[&message, &emoji, &user],
            ),
        }
        .map_err(store_error)?;
        self.refresh_summary(message)
    }

    /// Works the message's summary out again from its reactions.
    fn refresh_summary(&mut self, id: MessageId) -> ViewResult<()> {
        let rows = self
            .connection()
            .query(REACTIONS_OF, &[&id, &(LISTED_USERS as i64)])
            .map_err(store_error)?;
        let rows = rows
            .iter()
            .map(|row| Ok((row.get(0), row.get(1), count(row.get(2))?)))
            .collect::<ViewResult<Vec<_>>>()?;
        let text = reaction_summary(rows);
        self.connection()
            .execute(
                "UPDATE messages SET reactions = $2 WHERE id = $1",
                &[&id, &text],
            )
            .map_err(store_error)?;
        Ok(())
    }
}
