//! What both wings' views (`SqlView`, `PgView`) do with a chat's members:
//! a private chat made with its two members, a join (a new member counted
//! in its chat, an old one's read position moved), a leave (a member gone
//! and taken off the count). A wing gives the row writes (its driver calls
//! of the `crate::statements` texts, and on SQLite its row cache kept up
//! to date); the rules of the counters are written once, here (as
//! `crate::history_page` does for history).

use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, ChatUser, ReadPosition, UserId, View, ViewResult};

/// A wing's writes of `members` rows and of `chats.member_count`.
pub(crate) trait MemberRows: View {
    /// Inserts the row of the private chat of `low < high` made at `now`
    /// ([`crate::statements::NEW_PRIVATE_CHAT`]): its id.
    fn insert_chat(&mut self, low: UserId, high: UserId, now: UnixMillis) -> ViewResult<ChatId>;

    /// Inserts `member` at `position` unless it is already there
    /// ([`crate::statements::NEW_MEMBER`]): whether a row was inserted.
    fn insert_member(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<bool>;

    /// Deletes `member` ([`crate::statements::MEMBER_REMOVED`]): whether a
    /// row was there.
    fn delete_member(&mut self, member: ChatUser) -> ViewResult<bool>;

    /// Runs `sql` ([`crate::statements::MEMBER_COUNTED`] or
    /// [`crate::statements::MEMBER_UNCOUNTED`]) on `chat`'s row.
    fn count_member(&mut self, sql: &'static str, chat: ChatId) -> ViewResult<()>;

    /// `View::create_private_chat`: the chat, and both users in it with
    /// nothing read.
    fn new_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        let chat = self.insert_chat(a.min(b), a.max(b), now)?;
        self.add_member(ChatUser { chat, user: a }, 0)?;
        self.add_member(ChatUser { chat, user: b }, 0)?;
        Ok(chat)
    }

    /// `View::join`: a new member is counted in its chat; joining again
    /// only moves the read position.
    fn add_member(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<()> {
        if self.insert_member(member, position)? {
            self.count_member(crate::statements::MEMBER_COUNTED, member.chat)
        } else {
            self.set_read_position(member, position)
        }
    }

    /// `View::leave`: a member that was there is taken off its chat's
    /// count; leaving a chat one is not in changes nothing.
    fn remove_member(&mut self, member: ChatUser) -> ViewResult<()> {
        if self.delete_member(member)? {
            self.count_member(crate::statements::MEMBER_UNCOUNTED, member.chat)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
