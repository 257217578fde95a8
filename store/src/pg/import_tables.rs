//! What `agora-server migrate` copies from SQLite to PostgreSQL: every table,
//! in an order where each row's references are already copied, with its
//! columns (the same names on both sides) and how each value is converted.
//!
//! A new table (or column) in both schemas is one more entry here. A table
//! PostgreSQL fills by itself (from a trigger, say) is left out: its rows
//! are made as the rows it derives from are copied.

use postgres::types::Type;

/// How a SQLite value becomes a PostgreSQL one. Every kind takes NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// INTEGER -> bigint.
    Int,
    /// INTEGER -> smallint (`events.kind`).
    Small,
    /// INTEGER 0/1 -> boolean.
    Bool,
    /// TEXT -> text.
    Text,
    /// BLOB -> bytea.
    Blob,
    /// TEXT -> bytea holding its UTF-8: message and comment texts, which may
    /// carry U+0000, which a PostgreSQL `text` cannot hold.
    TextAsBytes,
}

impl Kind {
    pub(crate) fn pg_type(self) -> Type {
        match self {
            Kind::Int => Type::INT8,
            Kind::Small => Type::INT2,
            Kind::Bool => Type::BOOL,
            Kind::Text => Type::TEXT,
            Kind::Blob | Kind::TextAsBytes => Type::BYTEA,
        }
    }
}

/// One table to copy.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
    /// Whether `id` is an identity whose sequence must be set past the
    /// largest id copied (and whose largest id is compared after the copy).
    pub(crate) identity: bool,
}

use Kind::*;

/// Parents before children: users, chats (which name users), members,
/// messages, comments, reports, events (which name all of them).
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("name_key", Text),
            ("token_hash", Blob),
            ("created", Int),
            ("banned_until", Int),
            ("window_start", Int),
            ("window_count", Int),
            ("comment_window_start", Int),
            ("comment_window_count", Int),
            ("created_from", Text),
            ("sent_message", Bool),
        ],
        identity: true,
    },
    Table {
        name: "chats",
        columns: &[
            ("id", Int),
            ("user_a", Int),
            ("user_b", Int),
            ("created", Int),
            ("message_count", Int),
            ("member_count", Int),
            ("last_message", Int),
        ],
        identity: true,
    },
    Table {
        name: "members",
        columns: &[("user_id", Int), ("chat_id", Int), ("position", Int)],
        identity: false,
    },
    Table {
        name: "messages",
        columns: &[
            ("id", Int),
            ("chat_id", Int),
            ("author", Int),
            ("pub_date", Int),
            ("text", TextAsBytes),
            ("comment_count", Int),
        ],
        identity: true,
    },
    Table {
        name: "comments",
        columns: &[
            ("id", Int),
            ("message_id", Int),
            ("chat_id", Int),
            ("author", Int),
            ("created", Int),
            ("text", TextAsBytes),
        ],
        identity: true,
    },
    Table {
        name: "reports",
        columns: &[("target", Int), ("reporter", Int), ("created", Int)],
        identity: false,
    },
    Table {
        name: "events",
        columns: &[
            ("id", Int),
            ("kind", Small),
            ("chat_id", Int),
            ("message_id", Int),
            ("comment_id", Int),
            ("user_id", Int),
            ("until", Int),
        ],
        identity: true,
    },
];
