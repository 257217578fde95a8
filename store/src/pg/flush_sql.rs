//! The batch overlay's flush statement (`batch_rows`): one statement of
//! data-modifying CTEs, one per table and kind of change, of only the
//! parts a batch writes (see `pg::composed`: a batch of sends no longer
//! starts the inserts of users, chats, members, comments, reports, devices
//! and invitations it does not make). One statement still: one round trip.
//!
//! The parts are numbered as the whole statement's [`PARAMETERS`], which
//! `batch_rows` binds.

use crate::overlay::Effects;
use crate::pg::composed::{composed, Composed};
use std::sync::Arc;

/// The parameters of the whole flush (`$1` to `$75`).
pub(crate) const PARAMETERS: usize = 75;

/// The CTEs of one part, and whether a batch's changes need it.
struct Part {
    sql: &'static str,
    needed: fn(&Effects, &Columns) -> bool,
}

/// What the flush computes from [`Effects`] before binding, where a part
/// depends on it (a message without words has no search row; an event may
/// have no reader row: a room's).
pub(crate) struct Columns {
    pub(crate) search_rows: bool,
    pub(crate) reader_rows: bool,
}

/// Every part, in the order of the whole statement. (A statement's CTEs
/// all see one snapshot and their foreign-key checks run at its end, so
/// their order does not matter; it is kept for reading.)
const PARTS: &[Part] = &[
    Part {
        // A new user comes with its first device (issue 28).
        sql: "nu AS (INSERT INTO users (id, name, name_key, token_hash, created, created_from,
                           banned_until, window_start, window_count, comment_window_start,
                           comment_window_count, sent_message)
        SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::bytea[], $5::int8[],
                             $6::text[], $7::int8[], $8::int8[], $9::int8[], $10::int8[],
                             $11::int8[], $12::bool[])),
 ndev AS (INSERT INTO devices (user_id, token_hash, label, created, last_used)
          SELECT id, t, '', c, c FROM unnest($1::int8[], $4::bytea[], $5::int8[]) AS x(id, t, c))",
        needed: |e, _| !e.new_users.is_empty(),
    },
    Part {
        sql:
            "cu AS (UPDATE users SET banned_until = x.bu, window_start = x.ws, window_count = x.wc,
                         comment_window_start = x.cws, comment_window_count = x.cwc,
                         sent_message = x.sm
        FROM unnest($13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[],
                    $18::int8[], $19::bool[]) AS x(id, bu, ws, wc, cws, cwc, sm)
        WHERE users.id = x.id)",
        needed: |e, _| !e.changed_users.is_empty(),
    },
    Part {
        sql: "nc AS (INSERT INTO chats (id, user_a, user_b, created, message_count, member_count,
                           last_message)
        SELECT * FROM unnest($20::int8[], $21::int8[], $22::int8[], $23::int8[], $24::int8[],
                             $25::int8[], $26::int8[]))",
        needed: |e, _| !e.new_chats.is_empty(),
    },
    Part {
        sql:
            "cc AS (UPDATE chats SET message_count = x.mc, member_count = x.nm, last_message = x.lm
        FROM unnest($27::int8[], $28::int8[], $29::int8[], $30::int8[]) AS x(id, mc, nm, lm)
        WHERE chats.id = x.id)",
        needed: |e, _| !e.changed_chats.is_empty(),
    },
    Part {
        sql: "nm AS (INSERT INTO members (user_id, chat_id, position)
        SELECT * FROM unnest($31::int8[], $32::int8[], $33::int8[]))",
        needed: |e, _| !e.new_members.is_empty(),
    },
    Part {
        sql: "cm AS (UPDATE members SET position = x.p
        FROM unnest($34::int8[], $35::int8[], $36::int8[]) AS x(u, c, p)
        WHERE members.user_id = x.u AND members.chat_id = x.c)",
        needed: |e, _| !e.changed_members.is_empty(),
    },
    Part {
        sql: "nmsg AS (INSERT INTO messages (id, chat_id, author, pub_date, text, comment_count)
          SELECT * FROM unnest($37::int8[], $38::int8[], $39::int8[], $40::int8[],
                               $41::bytea[], $42::int8[]))",
        needed: |e, _| !e.new_messages.is_empty(),
    },
    Part {
        sql: "cmsg AS (UPDATE messages SET comment_count = x.n
          FROM unnest($43::int8[], $44::int8[]) AS x(id, n) WHERE messages.id = x.id)",
        needed: |e, _| !e.changed_messages.is_empty(),
    },
    Part {
        sql: "ncom AS (INSERT INTO comments (id, message_id, chat_id, author, created, text)
          SELECT * FROM unnest($45::int8[], $46::int8[], $47::int8[], $48::int8[], $49::int8[],
                               $50::bytea[]))",
        needed: |e, _| !e.new_comments.is_empty(),
    },
    Part {
        // A target's standing reports become exactly the batch's.
        sql: "drep AS (DELETE FROM reports r WHERE r.target = ANY($51::int8[])
          AND NOT EXISTS (SELECT 1 FROM unnest($52::int8[], $53::int8[]) AS k(t, rr)
                          WHERE k.t = r.target AND k.rr = r.reporter)),
 nrep AS (INSERT INTO reports (target, reporter, created)
          SELECT * FROM unnest($52::int8[], $53::int8[], $54::int8[])
          ON CONFLICT (target, reporter) DO UPDATE SET created = EXCLUDED.created)",
        needed: |e, _| !e.report_targets.is_empty(),
    },
    Part {
        sql: "ninv AS (INSERT INTO room_invites (chat_id, user_id)
          SELECT * FROM unnest($68::int8[], $69::int8[]) ON CONFLICT DO NOTHING)",
        needed: |e, _| !e.invites_added.is_empty(),
    },
    Part {
        sql: "dinv AS (DELETE FROM room_invites i USING unnest($70::int8[], $71::int8[]) AS k(c, u)
          WHERE i.chat_id = k.c AND i.user_id = k.u)",
        needed: |e, _| !e.invites_dropped.is_empty(),
    },
    Part {
        sql:
            "nev AS (INSERT INTO events (id, kind, chat_id, message_id, comment_id, user_id, until,
                            action)
         SELECT * FROM unnest($55::int8[], $56::int2[], $57::int8[], $58::int8[], $59::int8[],
                              $60::int8[], $61::int8[], $64::int2[]) ORDER BY 1)",
        needed: |e, _| !e.new_events.is_empty(),
    },
    Part {
        // (issue 23) who may read each new event (crate::event_readers)
        sql: "nrd AS (INSERT INTO event_readers (reader, event_id)
         SELECT * FROM unnest($72::int8[], $73::int8[]))",
        needed: |_, c| c.reader_rows,
    },
    Part {
        // (issue 27) the new messages' words in the search index
        // (pg/search.rs), and in its per-chat vocabulary (the same
        // lexemes, counted: `search::term_counts`)
        sql: "nsrch AS (INSERT INTO message_search (chat_id, message_id, lexemes)
           SELECT x.c, x.m, array_to_tsvector(string_to_array(x.l, ' '))
           FROM unnest($65::int8[], $66::int8[], $67::text[]) AS x(c, m, l) WHERE x.l <> ''),
 nterm AS (INSERT INTO message_search_terms (lexeme, messages)
           SELECT * FROM unnest($74::text[], $75::int8[])
           ON CONFLICT (lexeme) DO UPDATE
           SET messages = message_search_terms.messages + EXCLUDED.messages)",
        needed: |_, c| c.search_rows,
    },
];

/// Every flush ends here: the id sequences moved past the ids the overlay
/// handed out (none when the batch took no id).
const SEQUENCES: &str = "SELECT count(setval(pg_get_serial_sequence(s.t, 'id'), s.v))
  FROM unnest($62::text[], $63::int8[]) AS s(t, v) WHERE s.v > 0";

/// Which of [`PARTS`] a batch writes, one bit each.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Parts(u32);

impl Parts {
    pub(crate) fn of(effects: &Effects, columns: &Columns) -> Parts {
        Parts(
            PARTS
                .iter()
                .enumerate()
                .filter(|(_, part)| (part.needed)(effects, columns))
                .fold(0, |bits, (i, _)| bits | 1 << i),
        )
    }

    /// Every part: the whole statement.
    #[cfg(test)]
    pub(crate) fn all() -> Parts {
        Parts((1 << PARTS.len()) - 1)
    }
}

/// The flush of `parts`.
pub(crate) fn statement(parts: Parts) -> Arc<Composed> {
    composed("flush", parts.0, || compose(parts))
}

fn compose(parts: Parts) -> String {
    let ctes: Vec<&str> = PARTS
        .iter()
        .enumerate()
        .filter(|(i, _)| parts.0 & (1 << i) != 0)
        .map(|(_, part)| part.sql)
        .collect();
    if ctes.is_empty() {
        SEQUENCES.to_owned()
    } else {
        format!("WITH\n {}\n{SEQUENCES}", ctes.join(",\n "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pg::composed::renumber;

    #[test]
    fn the_whole_statement_uses_every_parameter() {
        let whole = renumber(&compose(Parts::all()));
        let mut seen = whole.parameters.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..PARAMETERS).collect::<Vec<_>>());
    }

    #[test]
    fn a_flush_of_sends_holds_only_their_parts() {
        let sends = Parts(
            PARTS
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    ["cu ", "cc ", "nmsg ", "nev ", "nrd ", "nsrch "]
                        .iter()
                        .any(|name| p.sql.starts_with(name))
                })
                .fold(0, |bits, (i, _)| bits | 1 << i),
        );
        let sql = compose(sends);
        for table in ["INTO users", "INTO chats", "INTO members", "INTO comments"] {
            assert!(!sql.contains(table), "{table} in {sql}");
        }
        for table in [
            "UPDATE users",
            "INTO messages",
            "INTO events",
            "INTO message_search",
        ] {
            assert!(sql.contains(table), "{table} missing from {sql}");
        }
        assert_eq!(compose(Parts(0)), SEQUENCES);
    }
}
