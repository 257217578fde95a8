// What `INSERT ... RETURNING id` costs SQLite's engine over an INSERT and
// sqlite3_last_insert_rowid(): the store's shared statements
// (store/src/statements.rs) read new ids by RETURNING on both backends.
// One prepared statement each (`devices`' shape), in memory, one
// transaction, 50,000 rows a round, 15 rounds of each taken in turns; prints
// the medians per insert. Engine only: no driver, no disk, no server.
//
// Build with the SQLite rusqlite bundles (the same version the store runs):
//   D=$(ls -d ~/.cargo/registry/src/*/libsqlite3-sys-0.35.0/sqlite3)
//   gcc -O2 -I$D bench/sqlite_returning.c $D/sqlite3.c -o /tmp/returning -lpthread -lm
//   /tmp/returning
#include "sqlite3.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROWS 50000
#define ROUNDS 15

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Microseconds per insert over one round; the ids read are checked.
static double one_round(int returning) {
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db,
                 "CREATE TABLE devices (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                 " user_id INTEGER NOT NULL, token_hash BLOB NOT NULL UNIQUE,"
                 " label TEXT NOT NULL, created INTEGER NOT NULL,"
                 " last_used INTEGER NOT NULL); BEGIN",
                 0, 0, 0);
    const char *sql =
        returning ? "INSERT INTO devices (user_id, token_hash, label, created, last_used)"
                    " VALUES ($1, $2, $3, $4, $4) RETURNING id"
                  : "INSERT INTO devices (user_id, token_hash, label, created, last_used)"
                    " VALUES (?1, ?2, ?3, ?4, ?4)";
    sqlite3_stmt *stmt;
    sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, 0);
    long long ids = 0;
    unsigned char hash[32] = {0};
    double start = seconds();
    for (int i = 0; i < ROWS; i++) {
        hash[0] = i, hash[1] = i >> 8, hash[2] = i >> 16;
        sqlite3_bind_int64(stmt, 1, i);
        sqlite3_bind_blob(stmt, 2, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 3, "phone", -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, 42);
        int rc = sqlite3_step(stmt);
        if (rc != (returning ? SQLITE_ROW : SQLITE_DONE)) {
            fprintf(stderr, "step: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        ids += returning ? sqlite3_column_int64(stmt, 0) : sqlite3_last_insert_rowid(db);
        sqlite3_reset(stmt);
    }
    double elapsed = seconds() - start;
    if (ids != (long long)ROWS * (ROWS + 1) / 2) {
        fprintf(stderr, "the ids read are not 1..%d\n", ROWS);
        exit(1);
    }
    sqlite3_finalize(stmt);
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    sqlite3_close(db);
    return elapsed / ROWS * 1e6;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    double rowid[ROUNDS], returning[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        rowid[r] = one_round(0);
        returning[r] = one_round(1);
    }
    qsort(rowid, ROUNDS, sizeof(double), by_value);
    qsort(returning, ROUNDS, sizeof(double), by_value);
    printf("SQLite %s, us per insert (median, min-max of %d rounds)\n", sqlite3_libversion(), ROUNDS);
    printf("  last_insert_rowid: %.2f (%.2f-%.2f)\n", rowid[ROUNDS / 2], rowid[0], rowid[ROUNDS - 1]);
    printf("  RETURNING id:      %.2f (%.2f-%.2f)\n", returning[ROUNDS / 2], returning[0], returning[ROUNDS - 1]);
    return 0;
}
