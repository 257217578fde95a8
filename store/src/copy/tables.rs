//! What `agora-server migrate` copies from SQLite to PostgreSQL: every table,
//! in an order where each row's references are already copied, with its
//! columns (the same names on both sides).
//!
//! A new table or column in both schemas is one more entry or name here.
//! Each value is converted by the type of its PostgreSQL column (see
//! `copy::convert`): INTEGER into bigint, integer, smallint or boolean;
//! TEXT into text, or into bytea as its UTF-8 (message and comment texts,
//! which may carry U+0000); BLOB into bytea.

/// One table to copy.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [&'static str],
    /// Whether `id` is an identity whose sequence must be set past the
    /// largest id copied (and whose largest id is compared after the copy).
    pub(crate) identity: bool,
}

const fn copied(name: &'static str, columns: &'static [&'static str], identity: bool) -> Table {
    Table {
        name,
        columns,
        identity,
    }
}

/// Parents before children: users, chats (which name users), members,
/// messages, comments, reports, events (which name all of them).
pub(crate) const TABLES: &[Table] = &[
    copied(
        "users",
        &[
            "id",
            "name",
            "name_key",
            "token_hash",
            "created",
            "banned_until",
            "window_start",
            "window_count",
            "comment_window_start",
            "comment_window_count",
            "created_from",
            "sent_message",
        ],
        true,
    ),
    copied(
        "chats",
        &[
            "id",
            "user_a",
            "user_b",
            "created",
            "message_count",
            "member_count",
            "last_message",
            // (issue 25) rooms.
            "room_name",
            "room_key",
            "room_public",
            "room_topic",
        ],
        true,
    ),
    // (issue 25) invitations to private rooms.
    copied("room_invites", &["chat_id", "user_id"], false),
    copied("members", &["user_id", "chat_id", "position"], false),
    copied(
        "messages",
        &[
            "id",
            "chat_id",
            "author",
            "pub_date",
            "text",
            "comment_count",
            // (issue 26)
            "edited",
            "deleted",
            "deleted_by",
            "reactions",
            "mentions",
        ],
        true,
    ),
    copied(
        "comments",
        &[
            "id",
            "message_id",
            "chat_id",
            "author",
            "created",
            "text",
            // (issue 26)
            "edited",
            "deleted",
            "deleted_by",
        ],
        true,
    ),
    copied("reports", &["target", "reporter", "created"], false),
    copied(
        "events",
        &[
            "id",
            "kind",
            "chat_id",
            "message_id",
            "comment_id",
            "user_id",
            "until",
            // (issue 25) a `member` event's.
            "action",
        ],
        true,
    ),
    // Who may read each event (issue 23: written by the store with each
    // event, no longer by a trigger, so copied like any other table).
    copied("event_readers", &["reader", "event_id"], false),
    // Kept 24 h; copied so that a retry across the move is still answered once.
    copied(
        "idempotency_keys",
        &[
            "scope",
            "key",
            "fingerprint",
            "status",
            "headers",
            "body",
            "created_at",
        ],
        false,
    ),
    // (issue 26) reactions and mentions, which name messages and users.
    copied(
        "reactions",
        &["id", "message_id", "emoji", "user_id", "created"],
        true,
    ),
    copied("mentions", &["user_id", "chat_id", "message_id"], false),
    // (issue 28) accounts and devices: each user's device tokens (as
    // hashes), passwords (as Argon2id hashes), the failed logins that
    // throttle `/login` for 15 minutes.
    copied(
        "devices",
        &[
            "id",
            "user_id",
            "token_hash",
            "label",
            "created",
            "last_used",
        ],
        true,
    ),
    copied("passwords", &["user_id", "phc"], false),
    copied("login_failures", &["name_key", "origin", "at"], false),
    // (issue 28) The server secret's verifier: the PostgreSQL nodes serve
    // with the SQLite node's secret file, and check it against this.
    copied("server_secret", &["id", "verifier"], false),
];
