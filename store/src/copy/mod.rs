//! `agora-server migrate`: one node's SQLite database copied into an empty
//! PostgreSQL one, so that a team that outgrows one node keeps its history.
//!
//! The source is read in one read transaction (one snapshot); the target's
//! schema is made by the same migrations a node runs at start; then every
//! table of [`TABLES`] is streamed with a binary `COPY`, the identity
//! sequences are set past the largest ids copied, and the row counts and
//! largest ids of both sides are compared, all in ONE PostgreSQL transaction:
//! whatever fails, the target is left as empty as it was found.
//!
//! Ids are kept, so tokens, message and comment ids, and event cursors that
//! clients hold stay valid on the new database.
//!
//! This is the one module that knows both wings (it reads SQLite's file and
//! writes through PostgreSQL's schema); neither wing imports it, nor each
//! other.

mod tables;

use crate::clock::Clock;
use crate::error::MigrationError;
use crate::pg::connection::{describe, PgConn};
use crate::pg::schema::migrate;
use crate::pg::url::PostgresUrl;
use crate::pg::WRITE_LOCK;
use crate::sqlite::schema::SCHEMA_VERSION;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::Transaction;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use tables::{Table, TABLES};

/// What was copied: per table, in copy order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub tables: Vec<TableCopied>,
}

/// One table's rows and largest id, the same on both sides (checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCopied {
    pub name: &'static str,
    pub rows: i64,
    /// For tables with an id: the largest (None: no rows).
    pub max_id: Option<i64>,
}

/// Why the copy was refused or failed. The target is unchanged but for the
/// schema (its tables, created empty) in every case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("there is no SQLite database {}", path.display())]
    NoSource { path: PathBuf },
    #[error(
        "{} exists beside the SQLite database: a server still runs on it, or \
         did not stop cleanly; stop it (Ctrl-C or SIGTERM: a clean stop leaves \
         the database file alone), or after a crash start it once and stop it, \
         then migrate",
        wal.display()
    )]
    SourceInUse { wal: PathBuf },
    #[error(
        "the SQLite database {} has schema version {found}, not this build's \
         {SCHEMA_VERSION}; start this build's agora-server on it once (then stop it) \
         to bring it up to date, then migrate",
        path.display()
    )]
    SourceVersion { path: PathBuf, found: i64 },
    #[error("cannot read the SQLite database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the SQLite database {} holds a value that does not fit: {reason}", path.display())]
    BadValue { path: PathBuf, reason: String },
    #[error("cannot connect to {url}: {}", describe(source))]
    Connect {
        url: String,
        #[source]
        source: postgres::Error,
    },
    #[error("cannot create the schema in {url}: {source}")]
    Schema {
        url: String,
        #[source]
        source: MigrationError,
    },
    #[error(
        "the target database {url} is not empty (table {table} has rows); \
         migrate copies into an empty database only: give it a new one \
         (CREATE DATABASE ...)"
    )]
    TargetNotEmpty { url: String, table: &'static str },
    /// (issue 28) A node already started on the target with another server
    /// secret than the source's nodes.
    #[error(
        "the target database {url} was started with another secret file than \
         the SQLite database's nodes: give it a new database, and run its nodes \
         with the SQLite node's secret file (--secret-file)"
    )]
    OtherSecret { url: String },
    #[error(
        "copying into {url} failed ({step}): {}; nothing was copied",
        describe(source)
    )]
    Postgres {
        url: String,
        step: String,
        #[source]
        source: postgres::Error,
    },
    #[error(
        "table {table}: {source_rows} rows (largest id {source_max:?}) in SQLite but \
         {target_rows} (largest id {target_max:?}) in PostgreSQL after the copy; \
         nothing was copied"
    )]
    Mismatch {
        table: &'static str,
        source_rows: i64,
        source_max: Option<i64>,
        target_rows: i64,
        target_max: Option<i64>,
    },
}

/// Copies the SQLite database at `from` into the PostgreSQL database `to`,
/// which must hold no rows (its schema is created or brought up to date
/// first). The server must not run on `from` meanwhile: what it writes after
/// the copy begins is not copied.
pub fn copy_sqlite_to_postgres(from: &Path, to: &PostgresUrl) -> Result<Copied, CopyError> {
    let mut source = open_source(from)?;
    let url = to.redacted();
    let mut target = PgConn::connect(to, "agora migrate").map_err(|source| CopyError::Connect {
        url: url.clone(),
        source,
    })?;
    migrate(&mut target, Clock::system().now()).map_err(|source| CopyError::Schema {
        url: url.clone(),
        source,
    })?;
    let failed = |step: &str| {
        let url = url.clone();
        let step = step.to_owned();
        move |source| CopyError::Postgres { url, step, source }
    };
    // A large copy runs longer than a node's statements may.
    target
        .batch("SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0")
        .map_err(failed("settings"))?;
    let sqlite_failed = |source| CopyError::Sqlite {
        path: from.to_path_buf(),
        source,
    };
    // One snapshot of the source for every table.
    let reading = source.transaction().map_err(sqlite_failed)?;
    let mut tx = target.client().transaction().map_err(failed("BEGIN"))?;
    // No node may write while the copy runs (none should be running).
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .map_err(failed("taking the write lock"))?;
    refuse_rows(&mut tx, &url)?;
    take_verifier(&reading, &mut tx, &url)?;
    // The public chat the schema made is copied from the source instead,
    // with its creation time and counters.
    tx.batch_execute("DELETE FROM chats")
        .map_err(failed("clearing the schema's public chat"))?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        copy_table(&reading, &mut tx, table, from).map_err(|e| match e {
            Step::Sqlite(source) => sqlite_failed(source),
            Step::Value(reason) => CopyError::BadValue {
                path: from.to_path_buf(),
                reason,
            },
            Step::Postgres(source) => failed(&format!("COPY {}", table.name))(source),
        })?;
        if table.identity {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), \
                 coalesce(max(id), 1), max(id) IS NOT NULL) FROM {0}",
                table.name
            );
            tx.batch_execute(&sql)
                .map_err(failed(&format!("setting the {} id sequence", table.name)))?;
        }
        let (source_rows, source_max) = sqlite_counts(&reading, table).map_err(sqlite_failed)?;
        let (target_rows, target_max) = pg_counts(&mut tx, table)
            .map_err(failed(&format!("counting the rows of {}", table.name)))?;
        if (source_rows, source_max) != (target_rows, target_max) {
            return Err(CopyError::Mismatch {
                table: table.name,
                source_rows,
                source_max,
                target_rows,
                target_max,
            });
        }
        tracing::info!(table = table.name, rows = source_rows, "copied");
        copied.push(TableCopied {
            name: table.name,
            rows: source_rows,
            max_id: source_max,
        });
    }
    // (issue 27) The search index is made from the texts on this side,
    // as the migration that created it makes it (its words are core's, not
    // SQLite's table's).
    crate::pg::search::backfill(&mut tx).map_err(failed("indexing the messages for search"))?;
    tx.batch_execute(crate::pg::search::COUNT_TERMS)
        .map_err(failed("counting the search index's words"))?;
    tx.commit().map_err(failed("COMMIT"))?;
    Ok(Copied { tables: copied })
}

/// The source, read-only, if it is a database of this build's schema.
fn open_source(path: &Path) -> Result<Connection, CopyError> {
    if !path.is_file() {
        return Err(CopyError::NoSource {
            path: path.to_path_buf(),
        });
    }
    // What a server writes after the snapshot would be lost, and a crash's
    // last writes are only in the WAL until a server opens the file again.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    if wal.exists() {
        return Err(CopyError::SourceInUse { wal });
    }
    let fail = |source| CopyError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    // Immutable: no lock, no `-wal` or `-shm` made beside the file (a
    // read-only connection in WAL mode would leave them behind), which is
    // right for a file no server writes any more.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(uri, flags).map_err(fail)?;
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(fail)?;
    if found != SCHEMA_VERSION {
        return Err(CopyError::SourceVersion {
            path: path.to_path_buf(),
            found,
        });
    }
    Ok(conn)
}

/// `path` for a `file:` URI: the characters a URI gives a meaning to are
/// %-escaped, the rest of its bytes kept.
fn uri_path(path: &Path) -> String {
    let mut escaped = String::new();
    for &byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'%' | b'?' | b'#' => escaped.push_str(&format!("%{byte:02X}")),
            _ if byte.is_ascii() && !byte.is_ascii_control() => escaped.push(byte as char),
            _ => escaped.push_str(&format!("%{byte:02X}")),
        }
    }
    escaped
}

/// Refuses a target with any row but the public chat its schema makes.
fn refuse_rows(tx: &mut Transaction<'_>, url: &str) -> Result<(), CopyError> {
    for table in TABLES {
        // (issue 28) Written by a node's start, not a row of chat data:
        // `take_verifier` compares it.
        if table.name == "server_secret" {
            continue;
        }
        let made_by_schema = if table.name == "chats" {
            " WHERE id <> 1 OR message_count <> 0 OR member_count <> 0"
        } else {
            ""
        };
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {}{made_by_schema})",
            table.name
        );
        let any: bool = tx
            .query_one(&sql, &[])
            .map(|row| row.get(0))
            .map_err(|source| CopyError::Postgres {
                url: url.to_owned(),
                step: format!("looking for rows in {}", table.name),
                source,
            })?;
        if any {
            return Err(CopyError::TargetNotEmpty {
                url: url.to_owned(),
                table: table.name,
            });
        }
    }
    Ok(())
}

/// (issue 28) The target's server-secret verifier, written if a node was
/// started on the target: the source's must be the same (the nodes will
/// serve with the source's secret file), and then it goes, so that the
/// source's row is copied like every other. A source without one (never
/// served by a binary that writes it) copies none.
fn take_verifier(
    source: &Connection,
    tx: &mut Transaction<'_>,
    url: &str,
) -> Result<(), CopyError> {
    let failed = |source| CopyError::Postgres {
        url: url.to_owned(),
        step: "reading the server secret's verifier".into(),
        source,
    };
    let target: Option<Vec<u8>> = tx
        .query_opt("SELECT verifier FROM server_secret", &[])
        .map_err(failed)?
        .map(|row| row.get(0));
    let Some(target) = target else {
        return Ok(());
    };
    let source: Option<Vec<u8>> = source
        .query_row("SELECT verifier FROM server_secret", [], |row| row.get(0))
        .ok();
    if source.as_ref() != Some(&target) {
        return Err(CopyError::OtherSecret {
            url: url.to_owned(),
        });
    }
    tx.batch_execute("DELETE FROM server_secret")
        .map_err(failed)
}

/// Why one table's copy stopped.
enum Step {
    Sqlite(rusqlite::Error),
    Value(String),
    Postgres(postgres::Error),
}

/// Streams every row of `table` from the source into one binary `COPY`,
/// each value converted to the type of its column in the target.
fn copy_table(
    source: &Connection,
    tx: &mut Transaction<'_>,
    table: &Table,
    path: &Path,
) -> Result<(), Step> {
    let names = table.columns.join(", ");
    let types: Vec<Type> = tx
        .prepare(&format!("SELECT {names} FROM {} LIMIT 0", table.name))
        .map_err(Step::Postgres)?
        .columns()
        .iter()
        .map(|column| column.type_().clone())
        .collect();
    let order = if table.identity { " ORDER BY id" } else { "" };
    let mut select = source
        .prepare(&format!("SELECT {names} FROM {}{order}", table.name))
        .map_err(Step::Sqlite)?;
    let sink = tx
        .copy_in(&format!(
            "COPY {} ({names}) FROM STDIN (FORMAT binary)",
            table.name
        ))
        .map_err(Step::Postgres)?;
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    let mut rows = select.query([]).map_err(Step::Sqlite)?;
    let mut values: Vec<Value> = Vec::with_capacity(types.len());
    while let Some(row) = rows.next().map_err(Step::Sqlite)? {
        values.clear();
        for (index, (column, ty)) in table.columns.iter().zip(&types).enumerate() {
            let value = row.get_ref(index).map_err(Step::Sqlite)?;
            values.push(convert(value, ty).map_err(|reason| {
                Step::Value(format!(
                    "{}.{column} in {}: {reason}",
                    table.name,
                    path.display()
                ))
            })?);
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
        writer.write(&refs).map_err(Step::Postgres)?;
    }
    writer.finish().map_err(Step::Postgres)?;
    Ok(())
}

/// One converted value, ready for the `COPY`: typed even when NULL, since a
/// binary `COPY` checks every value's type against its column's.
enum Value {
    Int8(Option<i64>),
    Int4(Option<i32>),
    Int2(Option<i16>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Value {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Int8(v) => v,
            Value::Int4(v) => v,
            Value::Int2(v) => v,
            Value::Bool(v) => v,
            Value::Text(v) => v,
            Value::Bytes(v) => v,
        }
    }
}

/// A SQLite value as a value of the PostgreSQL type `ty`; `Err` says why it
/// does not fit.
fn convert(value: ValueRef<'_>, ty: &Type) -> Result<Value, String> {
    let wrong = || {
        let found = value.data_type();
        format!("a SQLite {found:?} does not fit PostgreSQL {ty}")
    };
    let int = || match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(i)),
        _ => Err(wrong()),
    };
    Ok(match (ty.clone(), value) {
        (Type::INT8, _) => Value::Int8(int()?),
        (Type::INT4, _) => Value::Int4(int()?.map(|i| narrow(i, ty)).transpose()?),
        (Type::INT2, _) => Value::Int2(int()?.map(|i| narrow(i, ty)).transpose()?),
        (Type::BOOL, _) => Value::Bool(int()?.map(|i| i != 0)),
        (Type::TEXT, ValueRef::Null) => Value::Text(None),
        (Type::TEXT, ValueRef::Text(bytes)) => Value::Text(Some(
            String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?,
        )),
        (Type::BYTEA, ValueRef::Null) => Value::Bytes(None),
        (Type::BYTEA, ValueRef::Blob(bytes)) => Value::Bytes(Some(bytes.to_vec())),
        // A text the PostgreSQL side reads back as UTF-8.
        (Type::BYTEA, ValueRef::Text(bytes)) => {
            std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
            Value::Bytes(Some(bytes.to_vec()))
        }
        _ => return Err(wrong()),
    })
}

/// `i` as a narrower integer, if it fits.
fn narrow<T: TryFrom<i64>>(i: i64, ty: &Type) -> Result<T, String> {
    T::try_from(i).map_err(|_| format!("{i} does not fit PostgreSQL {ty}"))
}

/// `count(*)` and, for a table with ids, `max(id)` in the source.
fn sqlite_counts(source: &Connection, table: &Table) -> rusqlite::Result<(i64, Option<i64>)> {
    source.query_row(&counts_sql(table), [], |row| Ok((row.get(0)?, row.get(1)?)))
}

fn pg_counts(
    tx: &mut Transaction<'_>,
    table: &Table,
) -> Result<(i64, Option<i64>), postgres::Error> {
    tx.query_one(&counts_sql(table), &[])
        .map(|row| (row.get(0), row.get(1)))
}

fn counts_sql(table: &Table) -> String {
    let max = if table.identity {
        "max(id)"
    } else {
        "CAST(NULL AS bigint)"
    };
    format!("SELECT count(*), {max} FROM {}", table.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(value: ValueRef<'_>, ty: Type) -> Result<String, String> {
        convert(value, &ty).map(|v| format!("{:?}", v.as_sql()))
    }

    #[test]
    fn values_take_the_type_of_their_column() {
        let ok = |value, ty| converted(value, ty).expect("fits");
        assert_eq!(ok(ValueRef::Integer(7), Type::INT8), "Some(7)");
        assert_eq!(ok(ValueRef::Integer(7), Type::INT4), "Some(7)");
        assert_eq!(ok(ValueRef::Integer(3), Type::INT2), "Some(3)");
        assert_eq!(ok(ValueRef::Integer(1), Type::BOOL), "Some(true)");
        assert_eq!(ok(ValueRef::Integer(0), Type::BOOL), "Some(false)");
        assert_eq!(
            ok(ValueRef::Text(b"a\0b"), Type::BYTEA),
            "Some([97, 0, 98])"
        );
        assert_eq!(ok(ValueRef::Blob(&[255]), Type::BYTEA), "Some([255])");
        assert_eq!(
            ok(ValueRef::Text("é".as_bytes()), Type::TEXT),
            "Some(\"é\")"
        );
        for ty in [
            Type::INT8,
            Type::INT4,
            Type::INT2,
            Type::BOOL,
            Type::TEXT,
            Type::BYTEA,
        ] {
            assert_eq!(ok(ValueRef::Null, ty), "None");
        }
    }

    #[test]
    fn a_value_that_does_not_fit_is_refused() {
        let refused = |value, ty| converted(value, ty).expect_err("does not fit");
        assert!(refused(ValueRef::Integer(1 << 40), Type::INT4).contains("does not fit"));
        assert!(refused(ValueRef::Integer(70_000), Type::INT2).contains("does not fit"));
        refused(ValueRef::Text(b"\xff"), Type::BYTEA);
        refused(ValueRef::Text(b"\xff"), Type::TEXT);
        refused(ValueRef::Text(b"12"), Type::INT8);
        refused(ValueRef::Blob(b"x"), Type::TEXT);
        refused(ValueRef::Real(1.5), Type::INT8);
    }
}
