#!/usr/bin/env python3
"""Fills an agora SQLite database (its schema made by agora-server) with a
generated history, for timing `agora-server migrate`: USERS users in the
public chat, MESSAGES messages (one in ten private, between user pairs), a
comment on one message in five, and the events all of these make, with the
chats' counters kept right.

    bench/migrate_gen.py DB MESSAGES [USERS]
"""
import os
import sqlite3
import sys

db, messages = sys.argv[1], int(sys.argv[2])
users = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
now = 1_765_000_000_000
conn = sqlite3.connect(db)
conn.execute("PRAGMA foreign_keys = ON")
with conn:
    conn.executemany(
        "INSERT INTO users (id, name, name_key, token_hash, created, sent_message, created_from)"
        " VALUES (?, ?, ?, ?, ?, 1, '127.0.0.1')",
        ((i, f"User{i}", f"user{i}", os.urandom(32), now) for i in range(1, users + 1)),
    )
    conn.executemany(
        "INSERT INTO members (user_id, chat_id, position) VALUES (?, 1, 0)",
        ((i,) for i in range(1, users + 1)),
    )
    # One private chat per pair (i, i+1).
    pairs = users // 2
    conn.executemany(
        "INSERT INTO chats (id, user_a, user_b, created, member_count) VALUES (?, ?, ?, ?, 2)",
        ((1 + p, 2 * p - 1, 2 * p, now) for p in range(1, pairs + 1)),
    )
    conn.executemany(
        "INSERT INTO members (user_id, chat_id, position) VALUES (?, ?, 0)",
        ((u, 1 + p) for p in range(1, pairs + 1) for u in (2 * p - 1, 2 * p)),
    )
    event = 0
    rows, comments, events = [], [], []
    for m in range(1, messages + 1):
        if m % 10 == 0:
            p = 1 + m % pairs
            chat, author = 1 + p, 2 * p - 1
        else:
            chat, author = 1, 1 + m % users
        text = f"message {m}: " + "lorem ipsum dolor sit amet " * (1 + m % 4)
        rows.append((m, chat, author, now + m, text, 1 if m % 5 == 0 else 0))
        event += 1
        events.append((event, 1, chat, m, None))
        if m % 5 == 0:
            cid = m // 5
            comments.append((cid, m, chat, author, now + m, f"comment on {m}"))
            event += 1
            events.append((event, 2, chat, m, cid))
    conn.executemany(
        "INSERT INTO messages (id, chat_id, author, pub_date, text, comment_count)"
        " VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO comments (id, message_id, chat_id, author, created, text)"
        " VALUES (?, ?, ?, ?, ?, ?)", comments)
    conn.executemany(
        "INSERT INTO events (id, kind, chat_id, message_id, comment_id) VALUES (?, ?, ?, ?, ?)",
        events)
    # Who may read each, as the server writes it (issue 23): everyone for
    # the public chat's, the pair for a private chat's.
    readers = []
    for (event_id, _, chat, _, _) in events:
        if chat == 1:
            readers.append((0, event_id))
        else:
            p = chat - 1
            readers += [(2 * p - 1, event_id), (2 * p, event_id)]
    conn.executemany(
        "INSERT OR IGNORE INTO event_readers (reader, event_id) VALUES (?, ?)", readers)
    conn.execute(
        "UPDATE chats SET message_count = (SELECT count(*) FROM messages WHERE chat_id = chats.id),"
        " last_message = coalesce((SELECT max(id) FROM messages WHERE chat_id = chats.id), 0)")
    conn.execute("UPDATE chats SET member_count = ? WHERE id = 1", (users,))
conn.close()
