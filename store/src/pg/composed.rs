//! Statements made for each batch of only the parts it uses: the batch
//! overlay's load (`load_sql`) and flush (`flush_sql`).
//!
//! With a generic plan (the writer plans its statements once,
//! `pg::connection`), running a statement starts every plan node it holds,
//! whatever its parameters hold: a batch of sends paid for starting the
//! reads and writes of reports, registrations, rooms, comments, ... it did
//! not have (issue 23: `ExecutorStart` of the load and the flush was about
//! 0.6 ms of every batch, with the write lock every node shares held). So a
//! statement is written as parts, each with the parameter numbers of the
//! whole statement; a batch's set of parts (a bit each) is composed once
//! per process ([`composed`]) and prepared once per connection (by its
//! text). There are few sets: a node's batches are mostly sends, or sends
//! with a comment, a registration, ...
//!
//! A composed statement is renumbered to the parameters its parts use, in
//! order, and says which of the whole list those are ([`Composed::bind`]).

use postgres::types::ToSql;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A statement of some parts: its text, and for each of its parameters
/// (`$1`, `$2`, ...) the index of the whole statement's parameter it is
/// (0-based).
#[derive(Debug)]
pub(crate) struct Composed {
    pub(crate) sql: String,
    pub(crate) parameters: Vec<usize>,
}

impl Composed {
    /// This statement's parameters, out of the whole statement's.
    pub(crate) fn bind<'p>(&self, whole: &[&'p (dyn ToSql + Sync)]) -> Vec<&'p (dyn ToSql + Sync)> {
        self.parameters.iter().map(|&i| whole[i]).collect()
    }
}

/// The statement `family` of the parts `bits`, made by `make` on first
/// use and kept for the process.
pub(crate) fn composed(
    family: &'static str,
    bits: u32,
    make: impl FnOnce() -> String,
) -> Arc<Composed> {
    type Made = HashMap<(&'static str, u32), Arc<Composed>>;
    static MADE: OnceLock<Mutex<Made>> = OnceLock::new();
    let mut made = crate::locks::lock(MADE.get_or_init(Default::default));
    made.entry((family, bits))
        .or_insert_with(|| Arc::new(renumber(&make())))
        .clone()
}

/// `sql` with its parameters numbered `$1`, `$2`, ... in the order they
/// first appear, and which old number (less one) each new one is.
pub(crate) fn renumber(sql: &str) -> Composed {
    let mut out = String::with_capacity(sql.len());
    let mut parameters: Vec<usize> = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let Some(old) = after[..digits].parse::<usize>().ok().filter(|&n| n > 0) else {
            out.push('$');
            rest = after;
            continue;
        };
        let new = match parameters.iter().position(|&p| p == old - 1) {
            Some(i) => i,
            None => {
                parameters.push(old - 1);
                parameters.len() - 1
            }
        };
        out.push_str(&format!("${}", new + 1));
        rest = &after[digits..];
    }
    out.push_str(rest);
    Composed {
        sql: out,
        parameters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_from_one_in_order_and_mapped_back() {
        let renumbered = renumber("a $5::int8[], $3::text[], $5::int8[] $x $");
        assert_eq!(renumbered.sql, "a $1::int8[], $2::text[], $1::int8[] $x $");
        assert_eq!(renumbered.parameters, vec![4, 2]);
        let (a, b, c, d, e) = (1i64, 2i64, 3i64, 4i64, 5i64);
        let whole: [&(dyn ToSql + Sync); 5] = [&a, &b, &c, &d, &e];
        assert_eq!(renumbered.bind(&whole).len(), 2);
    }

    #[test]
    fn a_family_s_parts_are_composed_once() {
        let mut made = 0;
        let first = composed("test", 3, || {
            made += 1;
            "SELECT $2".into()
        });
        let again = composed("test", 3, || {
            made += 1;
            "SELECT $2".into()
        });
        assert_eq!(made, 1);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(first.sql, "SELECT $1");
        assert_eq!(first.parameters, vec![1]);
    }
}
