//! What a client asks for ([`Command`], decoded by `api::decode`) and what the
//! rules answer ([`Outcome`], encoded by `api::encode`). Neither knows HTTP.

use crate::api::Published;
use crate::error_code::ErrorCode;
use crate::events::EventId;
use crate::time::UnixMillis;
use crate::token::{Token, TokenHash};
use crate::view::{ChatSummary, CommentId, MessageId, Reaction, StoredComment, StoredMessage};
use std::net::IpAddr;
use std::sync::Arc;

/// Which chat a request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatRef {
    Public,
    /// The private chat with this user (name as the client wrote it).
    Private(String),
    /// (issue 25) A room, by its `#name` as the client wrote it.
    Room(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatType {
    Public,
    Private,
    /// (issue 25) A room, by its `#name` as the client wrote it (`/report`'s
    /// `"chat_type": "room", "room": "#design"`).
    Room(String),
}

/// One API call, validated for shape (types, names, text lengths) but not yet
/// checked against stored state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `POST /get-token`. `token` was drawn by the adapter from the OS CSPRNG;
    /// `client` is the request's client address (`client_addr`), which
    /// `--register-rate` counts by.
    GetToken {
        user_name: String,
        token: Token,
        client: IpAddr,
    },
    /// `POST /connect`.
    Connect {
        caller: TokenHash,
        chat: ChatRef,
        messages_number: u32,
    },
    /// `GET /status`.
    Status { caller: TokenHash },
    /// `POST /send`.
    Send {
        caller: TokenHash,
        to: ChatRef,
        text: String,
    },
    /// `POST /comment`.
    Comment {
        caller: TokenHash,
        message_id: MessageId,
        text: String,
    },
    /// `POST /report`.
    Report {
        caller: TokenHash,
        target: String,
        chat_type: ChatType,
    },
    /// `GET /events`: the events after `since` the caller may see (none, and
    /// the head as `next`, when `since` is `None`). `wait` says what the
    /// adapter does when there are none yet; the rules only read the page.
    Events {
        caller: TokenHash,
        since: Option<EventId>,
        wait: EventsWait,
    },
    /// `POST /read`: moves the caller's read position in a chat forward.
    Read {
        caller: TokenHash,
        chat: ChatRef,
        up_to: MessageId,
    },
    /// `GET /comments`: a page of a message's comments, older than `before`
    /// (the newest when `None`).
    Comments {
        caller: TokenHash,
        message_id: MessageId,
        before: Option<CommentId>,
        limit: u32,
    },
    /// `POST /unban`: a moderator lifts a user's ban.
    Unban {
        caller: TokenHash,
        user_name: String,
    },
    /// `GET /health`: whether the store answers a read.
    Health,
    // Issue 25: history and people.
    /// `GET /messages`: a page of a chat's history, the newest `limit`
    /// messages below `before` (the newest when `None`).
    Messages {
        caller: TokenHash,
        chat: ChatRef,
        before: Option<MessageId>,
        limit: u32,
    },
    /// `GET /users`: the users whose name starts with `prefix` (any case),
    /// after `after` in name order, at most `limit`.
    Users {
        caller: TokenHash,
        prefix: String,
        after: Option<String>,
        limit: u32,
    },
    // (issue 25) rooms.
    /// `POST /rooms`.
    CreateRoom {
        caller: TokenHash,
        room: String,
        public: bool,
        topic: String,
    },
    /// `GET /rooms`: rooms whose name starts with `prefix`.
    Rooms { caller: TokenHash, prefix: String },
    /// `POST /join`.
    Join { caller: TokenHash, room: String },
    /// `POST /leave`.
    Leave { caller: TokenHash, room: String },
    /// `POST /invite`.
    Invite {
        caller: TokenHash,
        room: String,
        user_name: String,
    },
    // (issue 26) edits, deletions, reactions.
    /// `POST /edit`: new text for the caller's own message or comment.
    Edit {
        caller: TokenHash,
        target: Target,
        text: String,
    },
    /// `POST /delete`: erases a message's or comment's text.
    Delete { caller: TokenHash, target: Target },
    /// `POST /react`: adds (or, with `remove`, takes back) the caller's
    /// reaction to a message.
    React {
        caller: TokenHash,
        message_id: MessageId,
        emoji: String,
        remove: bool,
    },
    /// Accounts and devices (issue 28): `/login`, `/password`,
    /// `/sessions`, `/logout` (boxed: its passwords and hashes would make
    /// every command larger).
    Account(Box<crate::accounts::AccountCommand>),
    /// `GET /search` (issue 27): the newest `limit` messages the caller can
    /// see (in `chat` only, when given) with id below `before` whose text
    /// matches `query`.
    Search {
        caller: TokenHash,
        /// Boxed: the largest variant sets every command's size.
        query: Box<crate::search::SearchQuery>,
        chat: Option<ChatRef>,
        before: Option<MessageId>,
        limit: u32,
    },
}

/// (issue 26) What `/edit` and `/delete` act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Message(MessageId),
    Comment(CommentId),
}

impl Command {
    /// Whether the command can change stored state (all but `Status`,
    /// `Comments`, `Events`, `Health`, `Messages` and `Users`; `Connect`
    /// moves the caller's read position).
    pub fn writes(&self) -> bool {
        !matches!(
            self,
            Command::Status { .. }
                | Command::Comments { .. }
                | Command::Events { .. }
                | Command::Health
                | Command::Messages { .. }
                | Command::Users { .. }
                | Command::Rooms { .. }
                | Command::Search { .. }
        )
    }

    /// The token the command authenticates with: `None` for `/get-token`,
    /// `/health` and `/login`, which name no caller. Every variant is
    /// spelled out, so a new command must say whether it has one (the
    /// idempotency scope and a device's `last_used` both go by it).
    pub fn caller(&self) -> Option<&TokenHash> {
        match self {
            Command::GetToken { .. } | Command::Health => None,
            Command::Account(account) => account.caller(),
            Command::Connect { caller, .. }
            | Command::Status { caller }
            | Command::Send { caller, .. }
            | Command::Comment { caller, .. }
            | Command::Report { caller, .. }
            | Command::Events { caller, .. }
            | Command::Read { caller, .. }
            | Command::Comments { caller, .. }
            | Command::Unban { caller, .. }
            | Command::Messages { caller, .. }
            | Command::Users { caller, .. }
            | Command::CreateRoom { caller, .. }
            | Command::Rooms { caller, .. }
            | Command::Join { caller, .. }
            | Command::Leave { caller, .. }
            | Command::Invite { caller, .. }
            | Command::Edit { caller, .. }
            | Command::Delete { caller, .. }
            | Command::React { caller, .. }
            | Command::Search { caller, .. } => Some(caller),
        }
    }
}

/// How a `GET /events` waits for events that are not there yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventsWait {
    /// A long-poll: hold the request up to this many seconds.
    Poll { timeout_secs: u32 },
    /// `Accept: text/event-stream`: a stream of events until the client or
    /// the server ends it.
    Stream,
    /// Answer at once: a page of catch-up (the adapters' own follow-up
    /// reads; never decoded from a request).
    Page,
}

/// `GET /status`'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    pub connected_as: String,
    /// Public first, then private chats by latest activity.
    pub chats: Vec<ChatSummary>,
    pub cautions: u32,
    pub banned_until: Option<UnixMillis>,
    pub public_messages_left: u32,
    pub quota_resets_at: Option<UnixMillis>,
}

/// Everything the rules can answer. Refusals by chat rules (`QuotaExceeded`,
/// `Banned`) are ordinary outcomes, not errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    TokenIssued {
        token: Token,
        user_name: String,
    },
    Connected {
        /// `public_chat` or the other user's name.
        chat: String,
        messages: Vec<StoredMessage>,
        /// The history page stopped at its byte budget: older messages up
        /// to `messages_number` were left out.
        history_truncated: bool,
        unread_messages: Vec<StoredMessage>,
        /// More unread messages remain (the count or the byte budget).
        unread_truncated: bool,
    },
    /// `GET /events`' page: events `viewer` may see, oldest first; `next`
    /// is the cursor to ask from next time; `more` says whether further
    /// events were already there.
    Events {
        viewer: crate::view::UserId,
        /// Each with its encodings, made once ([`crate::api::Published`]).
        events: Vec<Arc<Published>>,
        next: EventId,
        more: bool,
    },
    /// `POST /read`: messages still unread in that chat.
    ReadMoved {
        unread: u64,
    },
    /// `GET /comments`' page.
    Comments {
        message_id: MessageId,
        /// Oldest first.
        comments: Vec<StoredComment>,
        /// Older comments remain.
        more: bool,
    },
    Status(StatusReport),
    MessageSent {
        message_id: MessageId,
        pub_date: UnixMillis,
    },
    CommentAdded {
        comment_id: CommentId,
    },
    ReportAccepted {
        cautions: u32,
        banned_until: Option<UnixMillis>,
    },
    AlreadyBanned {
        banned_until: UnixMillis,
    },
    /// 429: the public quota is used up until `until`.
    QuotaExceeded {
        until: UnixMillis,
        now: UnixMillis,
    },
    /// 429: the comment quota is used up until `until`.
    CommentQuotaExceeded {
        until: UnixMillis,
        now: UnixMillis,
    },
    /// 403: the caller is banned until `until`.
    Banned {
        until: UnixMillis,
        now: UnixMillis,
    },
    /// 429: `--register-rate` new users from this client address in the
    /// last hour; a slot frees at `until`.
    RegisterRateExceeded {
        until: UnixMillis,
        now: UnixMillis,
    },
    /// 429: the caller holds `--max-streams-per-user` event streams and
    /// long-polls already (answered by the adapter, which counts them).
    TooManyStreams {
        retry_after_secs: u64,
    },
    /// `POST /unban`: the user (name as registered) is not banned now, and
    /// has no standing reports; `was_banned` says whether a ban was lifted.
    Unbanned {
        user_name: String,
        was_banned: bool,
    },
    /// `GET /health`: 200 when the store answered a read, else 503
    /// `store_unavailable`.
    Health {
        available: bool,
    },
    Failed(Failure),
    // (issue 25) rooms.
    /// `POST /rooms`: 201, the room's name as created.
    RoomCreated {
        room: String,
    },
    /// `GET /rooms`.
    Rooms {
        rooms: Vec<crate::view::RoomListing>,
        truncated: bool,
    },
    /// `POST /join`.
    Joined {
        room: String,
    },
    /// `POST /leave`.
    Left {
        room: String,
    },
    /// `POST /invite`: 201.
    Invited {
        room: String,
        user_name: String,
    },
    // (issue 26)
    /// `POST /edit`: 200, with the edit's time.
    Edited {
        edited: UnixMillis,
    },
    /// `POST /delete`: 200 (also when it was deleted already).
    Deleted,
    /// `POST /react`: 200 with the message's reactions after the change.
    Reacted {
        message_id: MessageId,
        reactions: Vec<Reaction>,
    },
    /// The answer first given to a request with the same `Idempotency-Key`
    /// (see `crate::idempotency`), sent again as it was.
    Replayed(crate::idempotency::StoredAnswer),
    /// Accounts and devices (issue 28).
    Account(crate::accounts::AccountOutcome),
    /// `GET /search`'s page (issue 27): newest first; `more` says whether
    /// older matches remain.
    SearchResults {
        results: Vec<crate::search::SearchHit>,
        more: bool,
    },
    // Issue 25: history and people.
    /// `GET /messages`' page.
    History {
        /// `public_chat` or the other user's name as registered.
        chat: String,
        /// Oldest first.
        messages: Vec<StoredMessage>,
        /// Older messages remain (the count or the byte budget).
        more: bool,
    },
    /// `GET /users`' page: names as registered, in name-key order.
    Users {
        users: Vec<String>,
        more: bool,
    },
}

/// Refusals that are the client's fault, each with its status and `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 401: missing, malformed or unknown token.
    Unauthorized,
    /// 409: the user name is taken.
    TokenAlreadyIssued,
    /// 404: the named user does not exist.
    UserNotFound,
    /// 404: no such message, or one the caller cannot see.
    MessageNotFound,
    /// 400: a request field names the caller (`chat_with`, `send_to`, `report_on`).
    SelfTarget { field: &'static str },
    /// 409: the caller already reported this user since its last ban.
    AlreadyReported,
    /// 403: a `private` report without a private chat between the two.
    NoSharedChat,
    /// 503: the store could not be read or written.
    StoreUnavailable,
    /// 503: too many connections, or the store's queue is full.
    Overloaded,
    /// 400: a `GET /events` cursor beyond the newest event.
    InvalidSince,
    /// 403: a report from an account younger than `--reporter-min-age` or
    /// that never sent a message.
    ReporterNotTrusted,
    /// 403: a moderator's request from someone else.
    NotAModerator,
    /// 422: an `Idempotency-Key` already used with another path or body.
    IdempotencyKeyReused,
    // (issue 25) rooms.
    /// 409: a room of that name (any case) exists.
    RoomExists,
    /// 404: no such room, or a private room the caller may not see.
    RoomNotFound,
    /// 403: the caller is not a member of the room.
    NotAMember,
    /// 409: the invited user is a member already.
    AlreadyAMember,
    /// 409 `not_a_member`: leaving a room one is not in.
    NotAMemberToLeave,
    // (issue 26)
    /// 403: editing or deleting what someone else wrote.
    NotAuthor,
    /// 404: no such comment, or one the caller cannot see.
    CommentNotFound,
    /// 409: editing or reacting to a deleted message or comment.
    Deleted,
    /// 409: a new emoji on a message that has `MAX_KINDS` already.
    TooManyReactions,
}

impl Failure {
    pub fn status(self) -> u16 {
        match self {
            Failure::Unauthorized => 401,
            Failure::TokenAlreadyIssued | Failure::AlreadyReported => 409,
            Failure::UserNotFound | Failure::MessageNotFound => 404,
            Failure::SelfTarget { .. } | Failure::InvalidSince => 400,
            Failure::NoSharedChat | Failure::ReporterNotTrusted | Failure::NotAModerator => 403,
            Failure::IdempotencyKeyReused => 422,
            Failure::NotAuthor => 403,
            Failure::CommentNotFound => 404,
            Failure::Deleted | Failure::TooManyReactions => 409,
            Failure::StoreUnavailable | Failure::Overloaded => 503,
            Failure::RoomExists | Failure::AlreadyAMember | Failure::NotAMemberToLeave => 409,
            Failure::RoomNotFound => 404,
            Failure::NotAMember => 403,
        }
    }

    pub fn code(self) -> ErrorCode {
        match self {
            Failure::Unauthorized => ErrorCode::Unauthorized,
            Failure::TokenAlreadyIssued => ErrorCode::TokenAlreadyIssued,
            Failure::UserNotFound => ErrorCode::UserNotFound,
            Failure::MessageNotFound => ErrorCode::MessageNotFound,
            Failure::SelfTarget { .. } => ErrorCode::SelfTarget,
            Failure::AlreadyReported => ErrorCode::AlreadyReported,
            Failure::NoSharedChat => ErrorCode::NoSharedChat,
            Failure::StoreUnavailable => ErrorCode::StoreUnavailable,
            Failure::Overloaded => ErrorCode::Overloaded,
            Failure::InvalidSince => ErrorCode::InvalidSince,
            Failure::ReporterNotTrusted => ErrorCode::ReporterNotTrusted,
            Failure::NotAModerator => ErrorCode::NotAModerator,
            Failure::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Failure::RoomExists => ErrorCode::RoomExists,
            Failure::RoomNotFound => ErrorCode::RoomNotFound,
            Failure::NotAMember | Failure::NotAMemberToLeave => ErrorCode::NotAMember,
            Failure::AlreadyAMember => ErrorCode::AlreadyAMember,
            Failure::NotAuthor => ErrorCode::NotAuthor,
            Failure::CommentNotFound => ErrorCode::CommentNotFound,
            Failure::Deleted => ErrorCode::Deleted,
            Failure::TooManyReactions => ErrorCode::TooManyReactions,
        }
    }
}
