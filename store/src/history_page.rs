//! What both wings' views (`SqlView`, `PgView`) do around their history
//! statements: a page of messages in id order with each one's newest
//! comments, and a page of one message's comments. A wing gives the two
//! reads (its statements, its driver); the rest is written once, here.

use agora_core::view::{
    ChatId, CommentPage, MessagePage, StoredComment, StoredMessage, View, ViewResult,
};

/// A wing's reads of a chat's messages and of a message's comments.
pub(crate) trait HistoryRows: View {
    /// The messages `sql` (the wing's `MESSAGES_UP_TO` or `MESSAGES_AFTER`)
    /// selects for `page`'s chat, position and limit, in any order,
    /// without their comments.
    fn message_rows(
        &mut self,
        sql: &'static str,
        page: MessagePage,
    ) -> ViewResult<Vec<StoredMessage>>;

    /// The comments of `page` (the newest `limit` of its message with id
    /// `< before`, all when `None`), oldest first; `chat` is the message's.
    fn comment_rows(&mut self, chat: ChatId, page: CommentPage) -> ViewResult<Vec<StoredComment>>;

    /// `View::messages_up_to` and `View::messages_after`: the messages of
    /// `page` that `sql` selects, oldest first, each with its newest
    /// `page.comments` comments (no read for a message that has none).
    fn messages_with_comments(
        &mut self,
        sql: &'static str,
        page: MessagePage,
    ) -> ViewResult<Vec<StoredMessage>> {
        if page.limit == 0 {
            return Ok(Vec::new());
        }
        let mut messages = self.message_rows(sql, page)?;
        messages.sort_by_key(|m| m.id);
        if page.comments > 0 {
            for message in messages.iter_mut().filter(|m| m.comments_total > 0) {
                let newest = CommentPage {
                    message: message.id,
                    before: None,
                    limit: page.comments,
                };
                message.comments = self.comment_rows(page.chat, newest)?;
            }
        }
        Ok(messages)
    }

    /// `View::comments_before`: none for a message that does not exist.
    fn comments_page(&mut self, page: CommentPage) -> ViewResult<Vec<StoredComment>> {
        match self.chat_of_message(page.message)? {
            Some(chat) => self.comment_rows(chat, page),
            None => Ok(Vec::new()),
        }
    }
}
