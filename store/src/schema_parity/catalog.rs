//! A migrated database's schema as both backends can state it (tables,
//! their columns with a type class and nullability, primary keys, indexes
//! by columns), read from SQLite's pragmas and PostgreSQL's catalogs, and
//! the differences between two of them, each said in one line.

use crate::pg::connection::PgConn;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};

/// What a column holds, as both backends store it: PostgreSQL's `bigint`,
/// `integer`, `smallint` and `boolean` are all SQLite's `INTEGER` (SQLite
/// stores a flag as 0 or 1; the width is PostgreSQL's own choice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Integer,
    Text,
    Bytes,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Text => "text",
            Kind::Bytes => "bytes",
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Table {
    /// By name: its kind, and whether it is NOT NULL.
    columns: BTreeMap<String, (Kind, bool)>,
    /// In key order; empty when the table has none.
    primary_key: Vec<String>,
    /// Every index but the primary key's, said as `table(columns) unique
    /// partial name`; the name only for an index made by `CREATE INDEX`
    /// (one a UNIQUE constraint makes is named by each backend its way).
    indexes: BTreeSet<String>,
}

/// A database's tables by name, each `None` when only its presence is
/// compared (see `super::PRESENCE_ONLY`).
pub(super) type Schema = BTreeMap<String, Option<Table>>;

/// Names an index as the two schemas are compared by.
fn index_line(
    table: &str,
    columns: &[String],
    unique: bool,
    partial: bool,
    name: Option<&str>,
) -> String {
    let mut line = format!("{table}({})", columns.join(", "));
    if unique {
        line.push_str(" unique");
    }
    if partial {
        line.push_str(" partial");
    }
    if let Some(name) = name {
        line.push_str(" named ");
        line.push_str(name);
    }
    line
}

/// SQLite's declared type as a kind; any other type is a new decision, so
/// it stops the test.
fn sqlite_kind(declared: &str) -> Kind {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => Kind::Integer,
        "TEXT" => Kind::Text,
        "BLOB" => Kind::Bytes,
        other => panic!("SQLite column type {other}: add it to Kind"),
    }
}

fn pg_kind(data_type: &str) -> Kind {
    match data_type {
        "bigint" | "integer" | "smallint" | "boolean" => Kind::Integer,
        "text" => Kind::Text,
        "bytea" => Kind::Bytes,
        other => panic!("PostgreSQL column type {other}: add it to Kind"),
    }
}

/// The rows `sql` reads on SQLite with `params`, each made by `read`.
fn sqlite_rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Vec<T> {
    let mut statement = conn.prepare(sql).unwrap();
    let rows = statement.query_map(params, read).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The schema of a SQLite database: its tables (`table_list`'s `table` and
/// `virtual`; not FTS5's `shadow` tables nor SQLite's own `sqlite_*`).
pub(super) fn sqlite_schema(conn: &Connection, presence_only: &[&str]) -> Schema {
    let tables: Vec<(String, bool)> = sqlite_rows(
        conn,
        "SELECT name, wr FROM pragma_table_list WHERE schema = 'main'
         AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    let mut schema = Schema::new();
    for (name, without_rowid) in tables {
        let table = (!presence_only.contains(&name.as_str()))
            .then(|| sqlite_table(conn, &name, without_rowid));
        schema.insert(name, table);
    }
    schema
}

fn sqlite_table(conn: &Connection, name: &str, without_rowid: bool) -> Table {
    let columns: Vec<(String, String, bool, i64)> = sqlite_rows(
        conn,
        "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
        [name],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    );
    let mut keyed: Vec<(i64, String)> = columns
        .iter()
        .filter(|c| c.3 > 0)
        .map(|c| (c.3, c.0.clone()))
        .collect();
    keyed.sort();
    let mut table = Table {
        primary_key: keyed.into_iter().map(|(_, column)| column).collect(),
        ..Table::default()
    };
    for (column, declared, not_null, pk) in columns {
        let kind = sqlite_kind(&declared);
        // A key column is NOT NULL without saying so in a WITHOUT ROWID
        // table, and as the rowid (a lone INTEGER PRIMARY KEY).
        let rowid = table.primary_key.len() == 1 && kind == Kind::Integer;
        let not_null = not_null || (pk > 0 && (without_rowid || rowid));
        table.columns.insert(column, (kind, not_null));
    }
    let indexes: Vec<(String, bool, String, bool)> = sqlite_rows(
        conn,
        "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)",
        [name],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    );
    for (index, unique, origin, partial) in indexes {
        if origin == "pk" {
            continue;
        }
        let sql = "SELECT name FROM pragma_index_info(?1) ORDER BY seqno";
        let on: Vec<String> = sqlite_rows(conn, sql, [&index], |r| r.get(0));
        let named = (origin == "c").then_some(index.as_str());
        table
            .indexes
            .insert(index_line(name, &on, unique, partial, named));
    }
    table
}

/// The schema of a PostgreSQL database's current schema: its tables, but
/// the migrations' own `agora_schema`.
pub(super) fn pg_schema(conn: &mut PgConn, presence_only: &[&str]) -> Schema {
    let client = conn.client();
    let names: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name <> 'agora_schema'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut schema = Schema::new();
    for name in names {
        let table = (!presence_only.contains(&name.as_str())).then(|| pg_table(client, &name));
        schema.insert(name, table);
    }
    schema
}

fn pg_table(client: &mut postgres::Client, name: &str) -> Table {
    let mut table = Table::default();
    let columns = client
        .query(
            "SELECT column_name::text, data_type::text, is_nullable = 'NO'
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1",
            &[&name],
        )
        .unwrap();
    for row in columns {
        let kind = pg_kind(row.get(1));
        table.columns.insert(row.get(0), (kind, row.get(2)));
    }
    table.primary_key = client
        .query(
            "SELECT k.column_name::text
             FROM information_schema.table_constraints t
             JOIN information_schema.key_column_usage k
               ON k.constraint_schema = t.constraint_schema
              AND k.constraint_name = t.constraint_name
             WHERE t.table_schema = current_schema() AND t.table_name = $1
               AND t.constraint_type = 'PRIMARY KEY'
             ORDER BY k.ordinal_position",
            &[&name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let indexes = client
        .query(
            "SELECT x.relname::text, i.indisunique, i.indpred IS NOT NULL,
                    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid),
                    ARRAY(SELECT a.attname::text
                          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS o(attnum, n)
                          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = o.attnum
                          ORDER BY o.n)
             FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
             WHERE i.indrelid = $1::text::regclass AND NOT i.indisprimary",
            &[&name],
        )
        .unwrap();
    for row in indexes {
        let index: String = row.get(0);
        let on: Vec<String> = row.get(4);
        let by_constraint: bool = row.get(3);
        let named = (!by_constraint).then_some(index.as_str());
        table
            .indexes
            .insert(index_line(name, &on, row.get(1), row.get(2), named));
    }
    table
}

/// Every difference between the two schemas, one line each.
pub(super) fn differences(sqlite: &Schema, pg: &Schema) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let only = |side: &str| format!("only on {side}");
    for (name, table) in sqlite {
        match (table, pg.get(name)) {
            (_, None) => {
                found.insert(format!("table {name}: {}", only("sqlite")));
            }
            (Some(a), Some(Some(b))) => table_differences(name, a, b, &mut found),
            (None, Some(None)) => {}
            _ => {
                found.insert(format!("table {name}: compared on one side only"));
            }
        }
    }
    for name in pg.keys().filter(|name| !sqlite.contains_key(*name)) {
        found.insert(format!("table {name}: {}", only("postgresql")));
    }
    found
}

fn table_differences(name: &str, a: &Table, b: &Table, found: &mut BTreeSet<String>) {
    for (column, &(kind, not_null)) in &a.columns {
        let Some(&(other_kind, other_not_null)) = b.columns.get(column) else {
            found.insert(format!("column {name}.{column}: only on sqlite"));
            continue;
        };
        if kind != other_kind {
            found.insert(format!(
                "column {name}.{column}: {} on sqlite, {} on postgresql",
                kind.name(),
                other_kind.name()
            ));
        }
        if not_null != other_not_null {
            let on = if not_null { "sqlite" } else { "postgresql" };
            found.insert(format!("column {name}.{column}: NOT NULL only on {on}"));
        }
    }
    for column in b.columns.keys().filter(|c| !a.columns.contains_key(*c)) {
        found.insert(format!("column {name}.{column}: only on postgresql"));
    }
    if a.primary_key != b.primary_key {
        found.insert(format!(
            "table {name}: primary key ({}) on sqlite, ({}) on postgresql",
            a.primary_key.join(", "),
            b.primary_key.join(", ")
        ));
    }
    for index in a.indexes.difference(&b.indexes) {
        found.insert(format!("index {index}: only on sqlite"));
    }
    for index in b.indexes.difference(&a.indexes) {
        found.insert(format!("index {index}: only on postgresql"));
    }
}
