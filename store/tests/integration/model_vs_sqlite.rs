//! Random command sequences give the same outcomes on the in-memory model and
//! on `SqlView` over a database file, including across close-and-reopen.
//! Both sides run the real `rules::apply`; the SQLite side runs each command
//! in a transaction with the writer's `RowCache` kept across commands (and
//! cleared on rollback, as the writer does), the model side restores a copy
//! when a command fails with a store error.

use crate::support;

use agora_core::rules;
use agora_store::{open_database, Backend, RowCache, SqlView, StoreConfig, SyncMode};
use proptest_state_machine::{prop_state_machine, StateMachineTest};
use rusqlite::Connection;
use support::reference::{chat_config, runs, Reference, Step, T0};

struct Sqlite {
    _dir: tempfile::TempDir,
    config: StoreConfig,
    conn: Connection,
    rows: RowCache,
}

struct ModelVsSqlite;

impl StateMachineTest for ModelVsSqlite {
    type SystemUnderTest = Sqlite;
    type Reference = Reference;

    fn init_test(_: &Reference) -> Sqlite {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            backend: Backend::Sqlite {
                path: dir.path().join("agora.db"),
                sync: SyncMode::Normal,
            },
            ..StoreConfig::default()
        };
        let conn = open_database(&config).unwrap();
        // The public chat's creation time is the first start's clock reading;
        // align it with the model's.
        conn.execute("UPDATE chats SET created = ?1 WHERE id = 1", [T0])
            .unwrap();
        Sqlite {
            _dir: dir,
            config,
            conn,
            rows: RowCache::new(),
        }
    }

    fn apply(mut sut: Sqlite, reference: &Reference, step: Step) -> Sqlite {
        match step {
            Step::AdvanceMs(_) => {}
            Step::Reopen => {
                drop(sut.conn);
                sut.conn = open_database(&sut.config).unwrap();
                sut.rows.clear();
            }
            Step::Run(command) => {
                let tx = sut.conn.transaction().unwrap();
                let result = rules::apply(
                    &command,
                    &mut SqlView::with_cache(&tx, &mut sut.rows),
                    reference.now,
                    &chat_config(),
                )
                .map_err(|_| ());
                if result.is_ok() {
                    tx.commit().unwrap();
                } else {
                    tx.rollback().unwrap();
                    sut.rows.clear();
                }
                reference.assert_answered(&command, result);
            }
        }
        sut
    }
}

prop_state_machine! {
    #![proptest_config(runs(96, 2_000))]

    #[test]
    fn model_and_sqlite_agree(sequential 1..150 => ModelVsSqlite);
}
