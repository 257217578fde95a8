//! What `agora-server migrate` copies from SQLite to PostgreSQL: every table,
//! in an order where each row's references are already copied, with its
//! columns (the same names on both sides).
//!
//! A new table or column in both schemas is one more entry or name here.
//! Each value is converted by the type of its PostgreSQL column (see
//! `copy::convert`): INTEGER into bigint, integer, smallint or boolean;
//! TEXT into text, or into bytea as its UTF-8 (message and comment texts,
//! which may carry U+0000); BLOB into bytea. A table that PostgreSQL fills by
//! itself (a trigger's) is [`Table::derived`]: not copied, but its rows are
//! counted on both sides after the rows it derives from are copied.

/// One table to copy.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [&'static str],
    /// Whether `id` is an identity whose sequence must be set past the
    /// largest id copied (and whose largest id is compared after the copy).
    pub(crate) identity: bool,
    /// Filled on the target by its own triggers as the tables before it are
    /// copied: only its row counts are compared.
    pub(crate) derived: bool,
}

const fn copied(name: &'static str, columns: &'static [&'static str], identity: bool) -> Table {
    Table {
        name,
        columns,
        identity,
        derived: false,
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
        ],
        true,
    ),
    copied(
        "comments",
        &["id", "message_id", "chat_id", "author", "created", "text"],
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
    // Who may read each event: filled by the events trigger as the events
    // are copied, so only compared.
    Table {
        name: "event_readers",
        columns: &[],
        identity: false,
        derived: true,
    },
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
];
