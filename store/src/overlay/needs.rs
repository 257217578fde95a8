//! [`Needs`]: the keys a batch's commands name, read off the decoded
//! commands before the rules run, so that one load brings every row the
//! common commands touch. A key the rules reach that is not here is loaded
//! on its own when they reach it (see `overlay::OverlayView`).

use agora_core::client_addr::limit_key;
use agora_core::command::{ChatRef, ChatType, Command};
use agora_core::config::Config;
use agora_core::rules::Advance;
use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, MessageId, UserId, PUBLIC_CHAT};

/// What to load. The backend also brings, from the rows it finds: every
/// member of each private chat it loads and the users of its pair; the
/// public chat's membership of each user it loads; the chats of the
/// messages it loads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Needs {
    /// Users by token hash.
    pub(crate) tokens: Vec<[u8; 32]>,
    /// Users by name key (ASCII-lowercased).
    pub(crate) names: Vec<String>,
    pub(crate) user_ids: Vec<UserId>,
    pub(crate) chats: Vec<ChatId>,
    /// The private chat of a caller (by token) and a user (by name key).
    pub(crate) token_pairs: Vec<([u8; 32], String)>,
    /// The private chat of two users, by id (`low < high`).
    pub(crate) pairs: Vec<(UserId, UserId)>,
    /// `(chat, user)` memberships.
    pub(crate) members: Vec<(ChatId, UserId)>,
    pub(crate) messages: Vec<MessageId>,
    /// Every standing report on these users (by name key).
    pub(crate) report_names: Vec<String>,
    /// ... and on these (by id).
    pub(crate) report_ids: Vec<UserId>,
    /// Registrations from these origins (`client_addr::limit_key`) at or
    /// after `registrations_since`, the newest `registrations_limit`.
    pub(crate) origins: Vec<String>,
    pub(crate) registrations_since: UnixMillis,
    pub(crate) registrations_limit: u32,
    /// The next id of each table (asked once per batch).
    pub(crate) next_ids: bool,
    /// (issue 25) Rooms by name key (with the `#`); with each room found
    /// come the memberships and invitations in it of every user loaded.
    pub(crate) room_keys: Vec<String>,
}

impl Needs {
    pub(crate) fn is_empty(&self) -> bool {
        self.tokens.is_empty()
            && self.names.is_empty()
            && self.user_ids.is_empty()
            && self.chats.is_empty()
            && self.token_pairs.is_empty()
            && self.pairs.is_empty()
            && self.members.is_empty()
            && self.messages.is_empty()
            && self.report_names.is_empty()
            && self.report_ids.is_empty()
            && self.origins.is_empty()
            && !self.next_ids
            && self.room_keys.is_empty()
    }

    /// Each key once (a repeated origin would bring its rows twice).
    pub(crate) fn dedup(&mut self) {
        fn once<T: Ord>(keys: &mut Vec<T>) {
            keys.sort_unstable();
            keys.dedup();
        }
        once(&mut self.tokens);
        once(&mut self.names);
        once(&mut self.user_ids);
        once(&mut self.chats);
        once(&mut self.token_pairs);
        once(&mut self.pairs);
        once(&mut self.members);
        once(&mut self.messages);
        once(&mut self.report_names);
        once(&mut self.report_ids);
        once(&mut self.origins);
        once(&mut self.room_keys);
    }

    /// The keys `command` names when applied at `now`.
    pub(crate) fn command(&mut self, command: &Command, now: UnixMillis, config: &Config) {
        match command {
            Command::GetToken {
                user_name,
                token,
                client,
            } => {
                if config.register_rate > 0 {
                    let window = Config::REGISTER_WINDOW_MS as i64;
                    self.registrations_since = UnixMillis(now.0.saturating_sub(window - 1));
                    self.registrations_limit = config.register_rate;
                    self.origins.push(limit_key(*client).to_string());
                }
                self.names.push(name_key(user_name));
                self.tokens.push(token.hash().0);
                self.chats.push(PUBLIC_CHAT);
            }
            Command::Send { caller, to, .. } => {
                self.tokens.push(caller.0);
                self.chat(&caller.0, to);
            }
            Command::Read { caller, chat, .. } => {
                self.tokens.push(caller.0);
                self.chat(&caller.0, chat);
            }
            Command::Comment {
                caller, message_id, ..
            } => {
                self.tokens.push(caller.0);
                self.messages.push(*message_id);
            }
            Command::Report {
                caller,
                target,
                chat_type,
            } => {
                self.tokens.push(caller.0);
                // (issue 25) A room report's room, with both users'
                // memberships in it.
                if let ChatType::Room(room) = chat_type {
                    self.room_keys.push(name_key(room));
                }
                let target = name_key(target);
                self.token_pairs.push((caller.0, target.clone()));
                self.names.push(target.clone());
                self.report_names.push(target);
            }
            Command::Unban { caller, user_name } => {
                self.tokens.push(caller.0);
                let user = name_key(user_name);
                self.names.push(user.clone());
                self.report_names.push(user);
            }
            Command::Connect { caller, .. }
            | Command::Status { caller }
            | Command::Events { caller, .. }
            | Command::Comments { caller, .. } => self.tokens.push(caller.0),
            Command::Health => {}
            // Issue 25: reads (the reader pool's, unless its queue is full).
            Command::Messages { caller, chat, .. } => {
                self.tokens.push(caller.0);
                self.chat(&caller.0, chat);
            }
            Command::Users { caller, .. } => self.tokens.push(caller.0),
            // (issue 25) The room a command names comes with the caller's
            // membership and invitation in it (see `Needs::room_keys`).
            Command::CreateRoom { caller, room, .. }
            | Command::Join { caller, room }
            | Command::Leave { caller, room } => {
                self.tokens.push(caller.0);
                self.room_keys.push(name_key(room));
            }
            Command::Invite {
                caller,
                room,
                user_name,
            } => {
                self.tokens.push(caller.0);
                self.room_keys.push(name_key(room));
                self.names.push(name_key(user_name));
            }
            Command::Rooms { caller, .. } => self.tokens.push(caller.0),
        }
    }

    /// The keys a read position's move names.
    pub(crate) fn advance(&mut self, to: &Advance) {
        self.members.push((to.chat, to.user));
    }

    fn chat(&mut self, caller: &[u8; 32], chat: &ChatRef) {
        match chat {
            ChatRef::Public => self.chats.push(PUBLIC_CHAT),
            ChatRef::Private(name) => {
                let name = name_key(name);
                self.token_pairs.push((*caller, name.clone()));
                self.names.push(name);
            }
            ChatRef::Room(name) => self.room_keys.push(name_key(name)),
        }
    }
}

pub(crate) use agora_core::records::name_key;
