#!/usr/bin/env python3
"""Issue 21, item 4: what an outsider's catch-up costs with many private
events between two other users.

Starts BINARY on a fresh SQLite database, registers alice, bob and carol;
alice sends bob one private message. The server stops, and the events table
gets --events more rows copying that message's event, inserted with SQL
with their readers' index rows (a row per member, as the server writes
them; a binary whose schema has the index's trigger wrote them already:
the inserts skip what is there), then one public message's event. The server starts
again on that database, and each of these is timed --repeat times on one
keep-alive connection (medians and p90 in ms):

  carol: GET /events?since=0&timeout=0   (an outsider: one public event)
  bob:   GET /events?since=0&timeout=0   (a member: a full page of 500)

    bench/catchup.py BINARY [--runtime tokio] [--events 100000 1000000]
    bench/catchup.py BINARY --pg postgres://postgres@127.0.0.1:PORT/postgres

With --pg (a cluster's superuser URL, e.g. from tests/pg/cluster.sh), the
same on PostgreSQL: a fresh database per count, seeded with psql, dropped
at the end.

Loopback only; the server and its database are removed at the end. The last
line is the figures as JSON.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import (  # noqa: E402
    Client, free_port, percentile, server_arguments)


class Node:
    """agora-server on a given database file, stopped with SIGTERM."""

    def __init__(self, binary, runtime, db, secret):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--runtime", runtime, "--port", str(self.port), "--db", db,
             "--secret-file", secret, "--log", "warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                Client(self.port).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.05)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def in_database(url, name):
    """`url` with its database replaced by `name`."""
    return url.rsplit("/", 1)[0] + "/" + name


SEED = """
WITH private AS (SELECT max(id) AS id FROM events),
 e AS (INSERT INTO events (kind, chat_id, message_id)
       SELECT e.kind, e.chat_id, e.message_id FROM events e, private,
              generate_series(1, {count})
       WHERE e.id = private.id RETURNING id, chat_id)
INSERT INTO event_readers (reader, event_id)
SELECT r.reader, e.id FROM e JOIN chats c ON c.id = e.chat_id,
       LATERAL (VALUES (c.user_a), (c.user_b)) AS r(reader)
ON CONFLICT DO NOTHING;
WITH m AS (INSERT INTO messages (chat_id, author, pub_date, text)
           SELECT 1, id, 0, 'hello'::bytea FROM users WHERE name = 'alice' RETURNING id),
 e AS (INSERT INTO events (kind, chat_id, message_id) SELECT 1, 1, id FROM m RETURNING id)
INSERT INTO event_readers (reader, event_id) SELECT 0, id FROM e ON CONFLICT DO NOTHING;
"""


def token(client, name):
    status, body = client.request("POST", "/get-token", body={"user_name": name})
    assert status == 200, body
    return json.loads(body)["token"]


def timed(client, token, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, body = client.request("GET", "/events?since=0&timeout=0", token)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, body[:200]
    times.sort()
    return {"median_ms": round(times[len(times) // 2], 2),
            "p90_ms": round(percentile(times, 90), 2),
            "events": len(json.loads(body)["events"])}


def seed_sqlite(db, count):
    conn = sqlite3.connect(db)
    (private,) = conn.execute("SELECT max(id) FROM events").fetchone()
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO events (kind, chat_id, message_id)"
        " SELECT kind, chat_id, message_id FROM n, events WHERE id = ?",
        (count, private))
    # One public message and its event, after them.
    conn.execute("INSERT INTO messages (chat_id, author, pub_date, text)"
                 " SELECT 1, id, 0, 'hello' FROM users WHERE name = 'alice'")
    conn.execute("INSERT INTO events (kind, chat_id, message_id)"
                 " VALUES (1, 1, last_insert_rowid())")
    indexed = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'event_readers'").fetchone()
    if indexed:
        conn.execute(
            "INSERT OR IGNORE INTO event_readers (reader, event_id)"
            " SELECT 0, id FROM events WHERE id > ? AND chat_id = 1"
            " UNION ALL SELECT c.user_a, e.id FROM events e JOIN chats c ON c.id = e.chat_id"
            "   WHERE e.id > ? AND e.chat_id <> 1"
            " UNION ALL SELECT c.user_b, e.id FROM events e JOIN chats c ON c.id = e.chat_id"
            "   WHERE e.id > ? AND e.chat_id <> 1",
            (private, private, private))
    conn.commit()
    conn.close()


def main():
    ap = server_arguments(__doc__)
    ap.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--pg", help="a PostgreSQL superuser URL: run on PostgreSQL")
    args = ap.parse_args()
    results = []
    for count in args.events:
        folder = tempfile.mkdtemp(prefix="agora-bench-")
        # The server secret (issue 28), for both starts on the database.
        secret = os.path.join(folder, "agora.secret")
        if args.pg:
            name = f"agora_bench_catchup_{os.getpid()}_{count}"
            psql(args.pg, f"CREATE DATABASE {name}")
            db = in_database(args.pg, name)
        else:
            db = os.path.join(folder, "bench.db")
        try:
            node = Node(args.binary, args.runtime, db, secret)
            with Client(node.port) as c:
                alice, bob, carol = (token(c, n) for n in ("alice", "bob", "carol"))
                status, body = c.request("POST", "/send", alice,
                                         {"send_to": "bob", "message": "psst"})
                assert status == 201, body
            node.stop()
            started = time.monotonic()
            if args.pg:
                psql(db, SEED.format(count=count) + "ANALYZE;")
            else:
                seed_sqlite(db, count)
            seeded = time.monotonic() - started
            node = Node(args.binary, args.runtime, db, secret)
            with Client(node.port) as c:
                outsider = timed(c, carol, args.repeat)
                member = timed(c, bob, args.repeat)
            node.stop()
            figures = {"runtime": args.runtime, "store": "postgres" if args.pg else "sqlite",
                       "private_events": count, "seed_seconds": round(seeded, 1),
                       "outsider": outsider, "member": member}
            print(json.dumps(figures), file=sys.stderr)
            results.append(figures)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if args.pg:
                psql(args.pg, f"DROP DATABASE IF EXISTS {name}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
