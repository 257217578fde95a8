//! Forwarding macros for the views that pass calls on to the view
//! underneath (the status memo's `MemoView`, the batch overlay's
//! `OverlayView`): a wrapper names the methods it forwards and writes by
//! hand only those it changes, so a forwarded method's signature is
//! written once, here, and not again in every wrapper.
//!
//! Inside an `impl View` (or `impl Accounts`, `impl KeyLog`) block,
//! `forward_view!(via; a, b, ..)` (or `forward_accounts!`, `forward_key_log!`) expands to each
//! named method as `self.via(|view| view.method(args..))`: `via` is the
//! wrapper's method that runs a call on the view underneath, and says what
//! happens around it (an error when there is none, a flush first, ...).
//! `forward_view!(all via)` (and the others') forwards every method the
//! trait requires; `forward_view!(rooms via)` and `forward_view!(edits via)`
//! the methods of issue 25's rooms and of issue 26's edits.

use agora_core::view::ViewResult;

/// The types the macros name, by a path that resolves wherever they expand.
pub(crate) mod t {
    pub(crate) use agora_core::accounts::{Device, DeviceId, LoginFailure, NewDevice};
    pub(crate) use agora_core::events::{Event, EventBody, EventId};
    pub(crate) use agora_core::idempotency::{KeptKey, KeyLookup, StoredAnswer};
    pub(crate) use agora_core::time::UnixMillis;
    pub(crate) use agora_core::token::TokenHash;
    pub(crate) use agora_core::view::{
        ChatId, ChatSummary, ChatUser, CommentId, CommentPage, MessageEdit, MessageId, MessagePage,
        NewRoom, NewText, NewUser, PeoplePage, Reaction, ReadPosition, Recent, Room, RoomListing,
        RoomsPage, SearchPage, StoredComment, StoredMessage, User, UserId, UserReaction,
        ViewResult, Written,
    };
}

/// `View` methods forwarded through `self.$via` (one arm a method: the
/// signature as the trait has it).
#[rustfmt::skip]
macro_rules! forward_view {
    // Every method the trait requires (a stand-in view in a test).
    (all $via:ident) => { $crate::forward::forward_view!($via; user_by_token, user_by_name, create_user, registrations_from, save_user, private_chat, create_private_chat, join, read_position, set_read_position, private_members, chats_of, latest_message, count_after, messages_up_to, messages_after, append_message, chat_of_message, comments_before, append_comment, append_event, event_head, events_after, has_reported, report_count, add_report, clear_reports, users_by_prefix, room_by_name, room_of, create_room, rooms_for, is_invited, set_invited, leave, rooms_of, message_written, comment_written, message, comment, edit_message, edit_comment, set_mentions, delete_message, delete_comment, reactions, has_reacted, add_reaction, remove_reaction, search_chat); };
    // (issue 25) a room's methods; (issue 26) those of edits, deletions and reactions.
    (rooms $via:ident) => { $crate::forward::forward_view!($via; room_by_name, room_of, create_room, rooms_for, is_invited, set_invited, leave, rooms_of); };
    (edits $via:ident) => { $crate::forward::forward_view!($via; message_written, comment_written, message, comment, edit_message, edit_comment, set_mentions, delete_message, delete_comment, reactions, has_reacted, add_reaction, remove_reaction); };
    ($via:ident; $($method:ident),+ $(,)?) => { $($crate::forward::forward_view!(@ $via $method);)+ };
    (@ $via:ident user_by_token) => { fn user_by_token(&mut self, hash: &$crate::forward::t::TokenHash) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::User>> { self.$via(|view| view.user_by_token(hash)) } };
    (@ $via:ident chats_of) => { fn chats_of(&mut self, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::ChatSummary>> { self.$via(|view| view.chats_of(user)) } };
    (@ $via:ident report_count) => { fn report_count(&mut self, target: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<u32> { self.$via(|view| view.report_count(target)) } };
    (@ $via:ident user_by_name) => { fn user_by_name(&mut self, name: &str) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::User>> { self.$via(|view| view.user_by_name(name)) } };
    (@ $via:ident create_user) => { fn create_user(&mut self, new: $crate::forward::t::NewUser<'_>) -> $crate::forward::t::ViewResult<$crate::forward::t::UserId> { self.$via(|view| view.create_user(new)) } };
    (@ $via:ident registrations_from) => { fn registrations_from(&mut self, recent: $crate::forward::t::Recent<'_>) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::UnixMillis>> { self.$via(|view| view.registrations_from(recent)) } };
    (@ $via:ident save_user) => { fn save_user(&mut self, user: &$crate::forward::t::User) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.save_user(user)) } };
    (@ $via:ident private_chat) => { fn private_chat(&mut self, a: $crate::forward::t::UserId, b: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::ChatId>> { self.$via(|view| view.private_chat(a, b)) } };
    (@ $via:ident private_members) => { fn private_members(&mut self, chat: $crate::forward::t::ChatId) -> $crate::forward::t::ViewResult<Option<[($crate::forward::t::UserId, String); 2]>> { self.$via(|view| view.private_members(chat)) } };
    (@ $via:ident count_after) => { fn count_after(&mut self, chat: $crate::forward::t::ChatId, position: $crate::forward::t::ReadPosition) -> $crate::forward::t::ViewResult<u64> { self.$via(|view| view.count_after(chat, position)) } };
    (@ $via:ident append_event) => { fn append_event(&mut self, body: $crate::forward::t::EventBody) -> $crate::forward::t::ViewResult<$crate::forward::t::EventId> { self.$via(|view| view.append_event(body)) } };
    (@ $via:ident event_head) => { fn event_head(&mut self) -> $crate::forward::t::ViewResult<$crate::forward::t::EventId> { self.$via(|view| view.event_head()) } };
    (@ $via:ident events_after) => { fn events_after(&mut self, user: $crate::forward::t::UserId, since: $crate::forward::t::EventId, limit: u32) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::Event>> { self.$via(|view| view.events_after(user, since, limit)) } };
    (@ $via:ident create_private_chat) => { fn create_private_chat(&mut self, a: $crate::forward::t::UserId, b: $crate::forward::t::UserId, now: $crate::forward::t::UnixMillis) -> $crate::forward::t::ViewResult<$crate::forward::t::ChatId> { self.$via(|view| view.create_private_chat(a, b, now)) } };
    (@ $via:ident join) => { fn join(&mut self, chat: $crate::forward::t::ChatId, user: $crate::forward::t::UserId, position: $crate::forward::t::ReadPosition) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.join(chat, user, position)) } };
    (@ $via:ident read_position) => { fn read_position(&mut self, chat: $crate::forward::t::ChatId, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::ReadPosition>> { self.$via(|view| view.read_position(chat, user)) } };
    (@ $via:ident set_read_position) => { fn set_read_position(&mut self, member: $crate::forward::t::ChatUser, position: $crate::forward::t::ReadPosition) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.set_read_position(member, position)) } };
    (@ $via:ident latest_message) => { fn latest_message(&mut self, chat: $crate::forward::t::ChatId) -> $crate::forward::t::ViewResult<$crate::forward::t::MessageId> { self.$via(|view| view.latest_message(chat)) } };
    (@ $via:ident messages_up_to) => { fn messages_up_to(&mut self, page: $crate::forward::t::MessagePage) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::StoredMessage>> { self.$via(|view| view.messages_up_to(page)) } };
    (@ $via:ident messages_after) => { fn messages_after(&mut self, page: $crate::forward::t::MessagePage) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::StoredMessage>> { self.$via(|view| view.messages_after(page)) } };
    (@ $via:ident comments_before) => { fn comments_before(&mut self, page: $crate::forward::t::CommentPage) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::StoredComment>> { self.$via(|view| view.comments_before(page)) } };
    (@ $via:ident append_message) => { fn append_message(&mut self, chat: $crate::forward::t::ChatId, new: $crate::forward::t::NewText<'_>) -> $crate::forward::t::ViewResult<$crate::forward::t::MessageId> { self.$via(|view| view.append_message(chat, new)) } };
    (@ $via:ident chat_of_message) => { fn chat_of_message(&mut self, message: $crate::forward::t::MessageId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::ChatId>> { self.$via(|view| view.chat_of_message(message)) } };
    (@ $via:ident append_comment) => { fn append_comment(&mut self, message: $crate::forward::t::MessageId, new: $crate::forward::t::NewText<'_>) -> $crate::forward::t::ViewResult<$crate::forward::t::CommentId> { self.$via(|view| view.append_comment(message, new)) } };
    (@ $via:ident has_reported) => { fn has_reported(&mut self, target: $crate::forward::t::UserId, reporter: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<bool> { self.$via(|view| view.has_reported(target, reporter)) } };
    (@ $via:ident add_report) => { fn add_report(&mut self, target: $crate::forward::t::UserId, reporter: $crate::forward::t::UserId, now: $crate::forward::t::UnixMillis) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.add_report(target, reporter, now)) } };
    (@ $via:ident clear_reports) => { fn clear_reports(&mut self, target: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.clear_reports(target)) } };
    (@ $via:ident users_by_prefix) => { fn users_by_prefix(&mut self, page: $crate::forward::t::PeoplePage<'_>) -> $crate::forward::t::ViewResult<Vec<String>> { self.$via(|view| view.users_by_prefix(page)) } };
    (@ $via:ident room_by_name) => { fn room_by_name(&mut self, name: &str) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::Room>> { self.$via(|view| view.room_by_name(name)) } };
    (@ $via:ident room_of) => { fn room_of(&mut self, chat: $crate::forward::t::ChatId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::Room>> { self.$via(|view| view.room_of(chat)) } };
    (@ $via:ident create_room) => { fn create_room(&mut self, new: $crate::forward::t::NewRoom<'_>) -> $crate::forward::t::ViewResult<$crate::forward::t::ChatId> { self.$via(|view| view.create_room(new)) } };
    (@ $via:ident rooms_for) => { fn rooms_for(&mut self, page: $crate::forward::t::RoomsPage<'_>) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::RoomListing>> { self.$via(|view| view.rooms_for(page)) } };
    (@ $via:ident is_invited) => { fn is_invited(&mut self, room: $crate::forward::t::ChatId, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<bool> { self.$via(|view| view.is_invited(room, user)) } };
    (@ $via:ident set_invited) => { fn set_invited(&mut self, invitation: $crate::forward::t::ChatUser, invited: bool) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.set_invited(invitation, invited)) } };
    (@ $via:ident leave) => { fn leave(&mut self, chat: $crate::forward::t::ChatId, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.leave(chat, user)) } };
    (@ $via:ident rooms_of) => { fn rooms_of(&mut self, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::ChatId>> { self.$via(|view| view.rooms_of(user)) } };
    (@ $via:ident message_written) => { fn message_written(&mut self, message: $crate::forward::t::MessageId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::Written>> { self.$via(|view| view.message_written(message)) } };
    (@ $via:ident comment_written) => { fn comment_written(&mut self, comment: $crate::forward::t::CommentId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::Written>> { self.$via(|view| view.comment_written(comment)) } };
    (@ $via:ident message) => { fn message(&mut self, message: $crate::forward::t::MessageId, comments: u32) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::StoredMessage>> { self.$via(|view| view.message(message, comments)) } };
    (@ $via:ident messages_by_id) => { fn messages_by_id(&mut self, ids: &[$crate::forward::t::MessageId], comments: u32) -> $crate::forward::t::ViewResult<Vec<Option<$crate::forward::t::StoredMessage>>> { self.$via(|view| view.messages_by_id(ids, comments)) } };
    (@ $via:ident comment) => { fn comment(&mut self, comment: $crate::forward::t::CommentId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::StoredComment>> { self.$via(|view| view.comment(comment)) } };
    (@ $via:ident edit_message) => { fn edit_message(&mut self, message: $crate::forward::t::MessageId, edit: $crate::forward::t::MessageEdit<'_>) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.edit_message(message, edit)) } };
    (@ $via:ident edit_comment) => { fn edit_comment(&mut self, comment: $crate::forward::t::CommentId, text: &str, now: $crate::forward::t::UnixMillis) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.edit_comment(comment, text, now)) } };
    (@ $via:ident set_mentions) => { fn set_mentions(&mut self, message: $crate::forward::t::MessageId, mentions: &[$crate::forward::t::UserId]) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.set_mentions(message, mentions)) } };
    (@ $via:ident delete_message) => { fn delete_message(&mut self, message: $crate::forward::t::MessageId, by: Option<$crate::forward::t::UserId>) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.delete_message(message, by)) } };
    (@ $via:ident delete_comment) => { fn delete_comment(&mut self, comment: $crate::forward::t::CommentId, by: Option<$crate::forward::t::UserId>) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.delete_comment(comment, by)) } };
    (@ $via:ident reactions) => { fn reactions(&mut self, message: $crate::forward::t::MessageId) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::Reaction>> { self.$via(|view| view.reactions(message)) } };
    (@ $via:ident has_reacted) => { fn has_reacted(&mut self, reaction: $crate::forward::t::UserReaction<'_>) -> $crate::forward::t::ViewResult<bool> { self.$via(|view| view.has_reacted(reaction)) } };
    (@ $via:ident add_reaction) => { fn add_reaction(&mut self, reaction: $crate::forward::t::UserReaction<'_>, now: $crate::forward::t::UnixMillis) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.add_reaction(reaction, now)) } };
    (@ $via:ident remove_reaction) => { fn remove_reaction(&mut self, reaction: $crate::forward::t::UserReaction<'_>) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.remove_reaction(reaction)) } };
    (@ $via:ident search_chat) => { fn search_chat(&mut self, page: $crate::forward::t::SearchPage<'_>) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::MessageId>> { self.$via(|view| view.search_chat(page)) } };
    (@ $via:ident search_candidates) => { fn search_candidates(&mut self, chats: &[$crate::forward::t::ChatId], query: &agora_core::search::SearchQuery) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::ChatId>> { self.$via(|view| view.search_candidates(chats, query)) } };
}
pub(crate) use forward_view;

/// `Accounts` methods forwarded through `self.$via`.
#[rustfmt::skip]
macro_rules! forward_accounts {
    (all $via:ident) => { $crate::forward::forward_accounts!($via; device_by_token, devices_of, add_device, revoke_device, touch_device, password_of, set_password, login_failures_of_name, login_failures_from, record_login_failure, clear_login_failures_of_name); };
    ($via:ident; $($method:ident),+ $(,)?) => { $($crate::forward::forward_accounts!(@ $via $method);)+ };
    (@ $via:ident device_by_token) => { fn device_by_token(&mut self, hash: &$crate::forward::t::TokenHash) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::Device>> { self.$via(|view| view.device_by_token(hash)) } };
    (@ $via:ident devices_of) => { fn devices_of(&mut self, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::Device>> { self.$via(|view| view.devices_of(user)) } };
    (@ $via:ident add_device) => { fn add_device(&mut self, new: $crate::forward::t::NewDevice<'_>) -> $crate::forward::t::ViewResult<$crate::forward::t::DeviceId> { self.$via(|view| view.add_device(new)) } };
    (@ $via:ident revoke_device) => { fn revoke_device(&mut self, id: $crate::forward::t::DeviceId) -> $crate::forward::t::ViewResult<Option<$crate::forward::t::TokenHash>> { self.$via(|view| view.revoke_device(id)) } };
    (@ $via:ident touch_device) => { fn touch_device(&mut self, id: $crate::forward::t::DeviceId, now: $crate::forward::t::UnixMillis) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.touch_device(id, now)) } };
    (@ $via:ident password_of) => { fn password_of(&mut self, user: $crate::forward::t::UserId) -> $crate::forward::t::ViewResult<Option<String>> { self.$via(|view| view.password_of(user)) } };
    (@ $via:ident set_password) => { fn set_password(&mut self, user: $crate::forward::t::UserId, phc: &str) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.set_password(user, phc)) } };
    (@ $via:ident login_failures_of_name) => { fn login_failures_of_name(&mut self, recent: $crate::forward::t::Recent<'_>) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::UnixMillis>> { self.$via(|view| view.login_failures_of_name(recent)) } };
    (@ $via:ident login_failures_from) => { fn login_failures_from(&mut self, recent: $crate::forward::t::Recent<'_>) -> $crate::forward::t::ViewResult<Vec<$crate::forward::t::UnixMillis>> { self.$via(|view| view.login_failures_from(recent)) } };
    (@ $via:ident record_login_failure) => { fn record_login_failure(&mut self, failure: $crate::forward::t::LoginFailure<'_>) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.record_login_failure(failure)) } };
    (@ $via:ident clear_login_failures_of_name) => { fn clear_login_failures_of_name(&mut self, name_key: &str) -> $crate::forward::t::ViewResult<()> { self.$via(|view| view.clear_login_failures_of_name(name_key)) } };
}
pub(crate) use forward_accounts;

/// `KeyLog` methods forwarded through `self.$via`.
#[rustfmt::skip]
macro_rules! forward_key_log {
    (all $via:ident) => { $crate::forward::forward_key_log!($via; find_key, keep_key, prune_keys); };
    ($via:ident; $($method:ident),+ $(,)?) => { $($crate::forward::forward_key_log!(@ $via $method);)+ };
    (@ $via:ident find_key) => { fn find_key(&mut self, lookup: $crate::forward::t::KeyLookup<'_>) -> $crate::forward::t::ViewResult<Option<([u8; 32], $crate::forward::t::StoredAnswer)>> { self.$via(|log| log.find_key(lookup)) } };
    (@ $via:ident keep_key) => { fn keep_key(&mut self, kept: $crate::forward::t::KeptKey<'_>) -> $crate::forward::t::ViewResult<()> { self.$via(|log| log.keep_key(kept)) } };
    (@ $via:ident prune_keys) => { fn prune_keys(&mut self, before: $crate::forward::t::UnixMillis, at_most: u32) -> $crate::forward::t::ViewResult<()> { self.$via(|log| log.prune_keys(before, at_most)) } };
}
pub(crate) use forward_key_log;

/// The `via` of a view whose forwarded methods are its own inherent
/// methods of the same names (written beside it, e.g. in `rooms.rs`):
/// `forward_view!(own; ..)`. An inherent method takes `&mut self`, as the
/// trait's does, so that it, not the trait's, is the one called.
pub(crate) trait Own {
    fn own<T>(&mut self, call: impl FnOnce(&mut Self) -> ViewResult<T>) -> ViewResult<T> {
        call(self)
    }
}

impl<V> Own for V {}
